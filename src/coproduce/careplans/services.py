"""Care plan actions: medications, the taper plan, suggestions, decisions and requests.

Each function saves, audits and leaves the transaction to the caller. The clinical logic
lives in the pure modules (``mme``, ``taper``, ``suggestions``, ``outcomes``); this module
reads and writes rows around them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from coproduce.audit.events import register
from coproduce.audit.services import record
from coproduce.careplans import taper
from coproduce.careplans.mme import (
    DEFAULT_TABLE,
    MMEError,
    MMETotal,
    daily_mme,
    load_table,
    total_mme,
)
from coproduce.careplans.models import (
    OPEN_PLAN_STATUSES,
    Decision,
    Medication,
    PlanStatus,
    RequestKind,
    StepStatus,
    TaperDecision,
    TaperPlan,
    TaperRequest,
    TaperStep,
)
from coproduce.careplans.outcomes import (
    CohortRate,
    Observation,
    TaperingSuccess,
    cohort_success_rate,
    tapering_success,
)
from coproduce.careplans.suggestions import Baseline, Suggestion, WeeklyCheckin, suggest_next_step
from coproduce.checkins.models import Score
from coproduce.people.access import can_answer_for
from coproduce.people.models import CARE_ROLES, Patient, Role, User
from coproduce.safetynet.engine import ROUTINE_ACK_HOURS
from coproduce.safetynet.models import Alert, Notification, Priority

register("careplans.medication.recorded", "A medication line was recorded or stopped.")
register("careplans.taper.created", "A taper plan was agreed and its schedule stored.")
register("careplans.taper.suggested", "A next-step suggestion was shown for a taper plan.")
register("careplans.taper.decided", "A decision on the next taper step was recorded.")
register("careplans.taper.requested", "The patient asked to pause, slow or stop the taper.")
register("careplans.taper.answered", "The care team answered a taper request.")
register("careplans.dose.flagged", "A dose change outside the taper plan raised an alert.")
register("careplans.medication.confirmed", "The patient or parent confirmed a medication line.")
register("careplans.medication.disputed", "The patient or parent said a medication line is wrong.")

REQUEST_RULE_ID = "taper-request"
DOSE_RULE_ID = "taper-unplanned-dose-change"
MEDICATION_RULE_ID = "medication-list-query"
#: Check-ins before the last change count as its baseline when at most this old.
BASELINE_WINDOW_DAYS = 28
#: Pain at baseline for the 12-month outcome: the pain score nearest the plan start within
#: this many days before it (or on the day).
OUTCOME_BASELINE_PAIN_DAYS = 30
PAIN_INSTRUMENTS = ("pain-nrs", "peg")
#: Satisfaction codes of the taper-weekly check-in on the 0-10 scale the suggestion reads.
SATISFACTION_CODES = {
    "very-dissatisfied": 0,
    "dissatisfied": 2,
    "neutral": 5,
    "satisfied": 8,
    "very-satisfied": 10,
}


# --- Medications ----------------------------------------------------------------------


def record_medication(
    patient: Patient,
    *,
    drug: str,
    strength: Decimal | int | str,
    unit: str = "mg",
    per_day: Decimal | int | str | None = None,
    started_on: dt.date,
    by: User | None,
    is_opioid: bool = True,
    replaces: Medication | None = None,
    confirmed_by_patient: bool = False,
    table: str = DEFAULT_TABLE,
) -> Medication:
    """Store a medication line (stopping the one it replaces); refuses lines MME cannot score.

    An opioid change is then checked against the taper plan: an abrupt cut or an increase
    that was not agreed raises an alert, left on the returned line as ``dose_alert``.
    """
    drug = " ".join(str(drug).split())
    if is_opioid:
        try:
            line = daily_mme(drug, strength, unit, per_day, table=table)
        except MMEError as error:
            raise ValidationError(str(error)) from error
        drug, strength, unit, per_day = line.drug, line.strength, line.unit, line.per_day
    else:
        strength, per_day = _other_medicine(drug, strength, per_day, table)
    if replaces is not None:
        if replaces.patient_id != patient.pk:
            raise ValidationError("That medication belongs to another patient.")
        if replaces.stopped_on is not None and replaces.stopped_on <= started_on:
            raise ValidationError("That medicine was already stopped; add it as a new one.")
        if started_on < replaces.started_on:
            raise ValidationError("A change cannot start before the medicine it changes.")
        _stop(replaces, on=started_on, by=by)
    medication = Medication.objects.create(
        patient=patient,
        drug=drug,
        is_opioid=is_opioid,
        strength=Decimal(str(strength)),
        unit=unit,
        per_day=None if per_day is None else Decimal(str(per_day)),
        factor_table=table,
        started_on=started_on,
        entered_by=by,
        confirmed_by_patient_at=timezone.now() if confirmed_by_patient else None,
    )
    record(
        "careplans.medication.recorded",
        actor=by,
        patient=patient,
        obj=medication,
        detail={"drug": medication.drug, "started_on": started_on.isoformat()},
    )
    if is_opioid or (replaces is not None and replaces.is_opioid):
        medication.dose_alert = _check_new_total(patient, started_on, by)
    return medication


def _other_medicine(drug: str, strength, per_day, table: str) -> tuple[Decimal, Decimal | None]:
    """Check a non-opioid line; an opioid named as "other" would escape the MME total."""
    if not drug:
        raise ValidationError({"drug": "Write the medicine's name."})
    try:
        entry = load_table(table).lookup(drug)
    except MMEError:
        entry = None
    if entry is not None:
        raise ValidationError({"drug": f"{entry.drug} is an opioid: record it as one."})
    if strength in (None, ""):
        raise ValidationError({"strength": "Give the strength."})
    return _positive_number("strength", strength), (
        None if per_day in (None, "") else _positive_number("per_day", per_day)
    )


def _positive_number(field: str, value) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({field: f"{value!r} is not a number."}) from None
    if not number.is_finite() or number <= 0:
        raise ValidationError({field: "Must be a number greater than zero."})
    return number


def _check_new_total(patient: Patient, on: dt.date, by: User | None) -> Alert | None:
    try:
        total = current_mme(patient, on)
    except MMEError:  # a stored line no table can score: nothing to compare
        return None
    return check_dose_change(patient, total, on=on, by=by)


def _stop(medication: Medication, *, on: dt.date, by: User | None) -> Medication:
    if on < medication.started_on:
        raise ValidationError("A medicine cannot stop before it started.")
    medication.stopped_on = on
    medication.save(update_fields=["stopped_on"])
    record(
        "careplans.medication.recorded",
        actor=by,
        patient=medication.patient,
        obj=medication,
        detail={"drug": medication.drug, "stopped_on": on.isoformat()},
    )
    return medication


def stop_medication(medication: Medication, *, on: dt.date, by: User | None) -> Medication:
    """Stop a line; stopping an opioid outside the plan raises an alert (``dose_alert``)."""
    if medication.stopped_on is not None and medication.stopped_on <= on:
        raise ValidationError("That medicine is already stopped.")
    _stop(medication, on=on, by=by)
    if medication.is_opioid:
        medication.dose_alert = _check_new_total(medication.patient, on, by)
    return medication


def confirm_medication(
    medication: Medication, *, by: User, now: dt.datetime | None = None
) -> Medication:
    """The patient (or parent) says this line is what they take."""
    patient = _answerable(medication, by)
    medication.confirmed_by_patient_at = now or timezone.now()
    medication.save(update_fields=["confirmed_by_patient_at"])
    record(
        "careplans.medication.confirmed",
        actor=by,
        patient=patient,
        acting_for=patient if by.role == Role.FAMILY else None,
        obj=medication,
        detail={"drug": medication.drug},
    )
    return medication


def report_medication_problem(
    medication: Medication, note: str, *, by: User, now: dt.datetime | None = None
) -> Alert:
    """The patient (or parent) says a line is wrong: a routine alert carries their note."""
    patient = _answerable(medication, by)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Tell your team what is different."})
    now = now or timezone.now()
    medication.confirmed_by_patient_at = None
    medication.save(update_fields=["confirmed_by_patient_at"])
    alert = Alert.objects.create(
        patient=patient,
        care_team=patient.care_team,
        rule_id=MEDICATION_RULE_ID,
        priority=Priority.ROUTINE,
        reason=f"Medicine list: {patient.given_name} says {medication} is not right",
        data={"medication": medication.pk, "line": str(medication), "note": note},
        created_at=now,
        ack_due_at=now + dt.timedelta(hours=ROUTINE_ACK_HOURS),
    )
    record(
        "careplans.medication.disputed",
        actor=by,
        patient=patient,
        acting_for=patient if by.role == Role.FAMILY else None,
        obj=medication,
        detail={"drug": medication.drug, "alert": alert.pk},
    )
    return alert


def _answerable(medication: Medication, by: User) -> Patient:
    patient = medication.patient
    if not can_answer_for(by, patient):
        raise PermissionDenied("Only the patient or their parent confirms their medicines.")
    if medication.stopped_on is not None:
        raise ValidationError("That medicine has been stopped.")
    return patient


def medications_on(patient: Patient, day: dt.date) -> list[Medication]:
    meds = patient.medications.filter(started_on__lte=day).order_by("started_on", "pk")
    return [m for m in meds if m.active_on(day)]


def mme_of(medications: Iterable[Medication]) -> MMETotal:
    """Per-line and total MME of opioid lines (other pain medicines carry no MME)."""
    return total_mme([m.as_line() for m in medications if m.is_opioid])


def current_mme(patient: Patient, day: dt.date | None = None) -> Decimal:
    return mme_of(medications_on(patient, day or timezone.localdate())).total_mme


def dose_history(patient: Patient, *, until: dt.date | None = None) -> list[taper.DoseRecord]:
    """Total daily MME from each date the medication list changed (first change first)."""
    meds = list(patient.medications.filter(is_opioid=True))
    days = sorted({m.started_on for m in meds} | {m.stopped_on for m in meds if m.stopped_on})
    history: list[taper.DoseRecord] = []
    for day in days:
        if until is not None and day > until:
            break
        total = mme_of(m for m in meds if m.active_on(day)).total_mme
        if not history or history[-1].daily_mme != total:
            history.append(taper.DoseRecord(day, total))
    return history


# --- The taper plan -----------------------------------------------------------------------


def pace_from(percent: Decimal | int | str, every_weeks: int = 0, every_months: int = 0):
    """The chosen pace if it is one of the safe options, else a ValidationError saying why."""
    try:
        pace = taper.Pace(Decimal(str(percent)), every_weeks=every_weeks, every_months=every_months)
    except taper.UnsafePaceError as error:
        raise ValidationError(f"That pace is not safe: {error}.") from error
    if pace not in taper.PACE_OPTIONS:
        options = "; ".join(p.label for p in taper.PACE_OPTIONS)
        raise ValidationError(f"Choose one of the safe paces: {options}.")
    return pace


def regimen_of(plan: TaperPlan, daily_amount: Decimal | None = None) -> taper.Regimen:
    r = plan.regimen
    return taper.Regimen(
        drug=r["drug"],
        daily_amount=Decimal(str(daily_amount if daily_amount is not None else r["daily_amount"])),
        dose_unit=Decimal(str(r["dose_unit"])),
        doses_per_day=int(r["doses_per_day"]),
        unit=r.get("unit", "mg"),
        table=r.get("table", DEFAULT_TABLE),
    )


def preview_schedule(
    regimen: taper.Regimen, pace: taper.Pace, start_on: dt.date, target_mme: Decimal = Decimal(0)
) -> taper.TaperSchedule:
    """The dated schedule a plan would store; raises ValidationError for impossible inputs."""
    if pace not in taper.PACE_OPTIONS:
        raise ValidationError("Choose one of the safe paces.")
    try:
        return taper.build_schedule(start_on, regimen, pace, target_mme=target_mme)
    except (taper.TaperInputError, MMEError) as error:
        raise ValidationError(str(error)) from error


def _step_rows(plan: TaperPlan, steps: Iterable[taper.TaperStep], first_number: int):
    rows = []
    for offset, step in enumerate(steps):
        rows.append(
            TaperStep(
                plan=plan,
                number=first_number + offset,
                due_on=step.on,
                target_mme=step.daily_mme,
                daily_amount=step.daily_amount,
                doses=[f"{d.normalize():f}" for d in step.doses],
                note=step.note,
                status=StepStatus.PLANNED,
            )
        )
    return TaperStep.objects.bulk_create(rows)


def create_taper_plan(
    patient: Patient,
    *,
    regimen: taper.Regimen,
    pace: taper.Pace,
    start_on: dt.date,
    by: User,
    target_mme: Decimal | int = 0,
    appointment=None,
) -> TaperPlan:
    """Store a plan agreed at a visit with its dated steps; step 0 is today's dose."""
    if by.role != Role.CLINICIAN:
        raise PermissionDenied("Only a clinician agrees a taper plan with the patient.")
    if TaperPlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES).exists():
        raise ValidationError("This patient already has a taper plan; change that one instead.")
    schedule = preview_schedule(regimen, pace, start_on, Decimal(target_mme))
    plan = TaperPlan.objects.create(
        patient=patient,
        appointment=appointment,
        created_by=by,
        start_on=start_on,
        regimen={
            "drug": regimen.drug,
            "daily_amount": f"{regimen.daily_amount.normalize():f}",
            "dose_unit": f"{regimen.dose_unit.normalize():f}",
            "doses_per_day": regimen.doses_per_day,
            "unit": regimen.unit,
            "table": regimen.table,
        },
        start_mme=schedule.start_mme,
        pace_percent=pace.percent,
        pace_every_weeks=pace.every_weeks,
        pace_every_months=pace.every_months,
        doses_per_day=regimen.doses_per_day,
        target_mme=Decimal(target_mme),
        end_reason=schedule.end_reason.value,
    )
    rows = _step_rows(plan, schedule.steps, 0)
    rows[0].status = StepStatus.DONE
    rows[0].save(update_fields=["status"])
    record(
        "careplans.taper.created",
        actor=by,
        patient=patient,
        obj=plan,
        detail={"start_mme": str(plan.start_mme), "pace": pace.label, "steps": len(rows)},
    )
    return plan


def open_plan(patient: Patient) -> TaperPlan | None:
    return (
        TaperPlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES)
        .order_by("-created_at")
        .first()
    )


def latest_plan(patient: Patient) -> TaperPlan | None:
    return TaperPlan.objects.filter(patient=patient).order_by("-created_at", "-pk").first()


def _done_steps(plan: TaperPlan) -> list[TaperStep]:
    return list(
        plan.steps.filter(status__in=[StepStatus.DONE, StepStatus.STEPPED_BACK]).order_by(
            "due_on", "number"
        )
    )


def next_step(plan: TaperPlan) -> TaperStep | None:
    return plan.steps.filter(status=StepStatus.PLANNED).order_by("due_on", "number").first()


def plan_state(plan: TaperPlan) -> taper.PlanState:
    """The pure ``PlanState`` of a stored plan."""
    done = _done_steps(plan)
    current = done[-1] if done else None
    previous = None
    for before, after in itertools.pairwise(done):
        if after.target_mme < before.target_mme:
            previous = before.target_mme
    status = {
        PlanStatus.PAUSED: taper.PlanStatus.PAUSED,
        PlanStatus.STOPPED: taper.PlanStatus.STOPPED,
        PlanStatus.COMPLETED: taper.PlanStatus.STOPPED,
    }.get(PlanStatus(plan.status), taper.PlanStatus.ACTIVE)
    return taper.PlanState(
        status=status,
        pace=plan.pace,
        start_mme=plan.start_mme,
        current_mme=current.target_mme if current else plan.start_mme,
        target_mme=plan.target_mme,
        previous_mme=previous,
        last_change_on=current.due_on if current else plan.start_on,
    )


def _rebuild(plan: TaperPlan, *, superseded: str, from_on: dt.date, amount: Decimal) -> None:
    """Mark the remaining planned steps ``superseded`` and append a fresh schedule."""
    plan.steps.filter(status=StepStatus.PLANNED).update(status=superseded)
    last = plan.steps.order_by("-number").first()
    schedule = taper.build_schedule(
        from_on,
        regimen_of(plan, amount),
        plan.pace,
        target_mme=plan.target_mme,
        original_start_mme=plan.start_mme,
    )
    _step_rows(plan, schedule.steps[1:], (last.number if last else 0) + 1)


def _current_amount(plan: TaperPlan) -> Decimal:
    done = _done_steps(plan)
    if done and done[-1].daily_amount is not None:
        return done[-1].daily_amount
    return Decimal(str(plan.regimen["daily_amount"]))


# --- Check-ins into suggestions ---------------------------------------------------------


def _local_day(at: dt.datetime, zone) -> dt.date:
    return timezone.localtime(at, zone).date()


def _num(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def weekly_checkins(
    patient: Patient, *, since: dt.date | None = None, until: dt.datetime | None = None
) -> list[WeeklyCheckin]:
    """Score rows merged into one check-in per clinic-local ISO week (latest value wins)."""
    zone = patient.care_team.site.zone
    scores = Score.objects.filter(
        patient=patient,
        instrument_id__in=[*PAIN_INSTRUMENTS, "taper-weekly", "phq9"],
    ).order_by("at", "pk")
    if until is not None:
        scores = scores.filter(at__lte=until)
    weeks: dict[tuple[int, int], dict] = defaultdict(dict)
    for score in scores:
        day = _local_day(score.at, zone)
        if since is not None and day < since:
            continue
        week = weeks[day.isocalendar()[:2]]
        week["on"] = day
        values = score.item_values or {}
        if score.instrument_id == "pain-nrs":
            week["pain"] = _num(score.score)
            week["_nrs"] = True
        elif score.instrument_id == "peg" and not week.get("_nrs"):
            week["pain"] = _num(score.score)
        elif score.instrument_id == "phq9":
            week["phq9"] = None if score.score is None else int(score.score)
            item9 = _num(values.get("phq9-9"))
            week["phq9_item9"] = None if item9 is None else int(item9)
        elif score.instrument_id == "taper-weekly":
            comfort = _num(values.get("taper-comfort"))
            week["comfort"] = None if comfort is None else int(comfort)
            satisfaction = values.get("taper-satisfaction")
            if isinstance(satisfaction, str):
                week["satisfaction"] = SATISFACTION_CODES.get(satisfaction)
            elif _num(satisfaction) is not None:
                week["satisfaction"] = int(satisfaction)
            sows = _num(values.get("sows"))
            week["withdrawal_sows"] = None if sows is None else int(sows)
            week["intolerable"] = bool(values.get("intolerable"))
    return [
        WeeklyCheckin(**{k: v for k, v in week.items() if not k.startswith("_")})
        for _, week in sorted(weeks.items())
    ]


def _baseline(patient: Patient, change_on: dt.date) -> Baseline:
    before = weekly_checkins(patient, since=change_on - dt.timedelta(days=BASELINE_WINDOW_DAYS))
    before = [c for c in before if c.on < change_on]
    pain = next((c.pain for c in reversed(before) if c.pain is not None), None)
    sows = next(
        (c.withdrawal_sows for c in reversed(before) if c.withdrawal_sows is not None), None
    )
    phq9 = next((c.phq9 for c in reversed(before) if c.phq9 is not None), None)
    return Baseline(pain=pain, withdrawal_sows=sows, phq9=phq9)


def suggest_for_next_step(plan: TaperPlan, now: dt.datetime | None = None) -> Suggestion:
    """The suggestion before the next step, from the weekly check-ins since the last change."""
    now = now or timezone.now()
    state = plan_state(plan)
    change_on = state.last_change_on or plan.start_on
    checkins = [
        c for c in weekly_checkins(plan.patient, since=change_on, until=now) if c.on >= change_on
    ]
    return suggest_next_step(checkins, _baseline(plan.patient, change_on), state)


# --- Decisions --------------------------------------------------------------------------


def record_decision(
    plan: TaperPlan,
    *,
    suggestion: Suggestion,
    decision: str,
    by: User,
    why: str = "",
    today: dt.date | None = None,
) -> TaperDecision:
    """Record who decided what and why, then move the plan: go ahead, hold, slow or step back."""
    if by.role not in (Role.CLINICIAN, Role.NURSE):
        raise PermissionDenied("Only the care team records taper decisions.")
    if plan.status not in OPEN_PLAN_STATUSES:
        raise ValidationError("This taper plan is closed.")
    decision = Decision(decision)
    if decision != suggestion.kind and not why.strip():
        raise ValidationError("Say why when the decision differs from the suggestion.")
    today = today or timezone.localdate(timezone.now(), plan.patient.care_team.site.zone)
    step = next_step(plan)
    state = plan_state(plan)
    amount = _current_amount(plan)
    if decision == Decision.GO_AHEAD:
        if plan.status != PlanStatus.ACTIVE:
            raise ValidationError("The plan is paused; restart it with the patient first.")
        if step is None:
            raise ValidationError("There is no planned step left.")
        step.status = StepStatus.DONE
        step.save(update_fields=["status"])
    elif decision == Decision.HOLD:
        _rebuild(plan, superseded=StepStatus.HELD, from_on=today, amount=amount)
    elif decision == Decision.SLOW:
        slower = plan.pace.slower()
        plan.pace_percent, plan.pace_every_weeks = slower.percent, slower.every_weeks
        plan.pace_every_months = slower.every_months
        plan.save(update_fields=["pace_percent", "pace_every_weeks", "pace_every_months"])
        _rebuild(plan, superseded=StepStatus.SLOWED, from_on=today, amount=amount)
    else:
        back = _step_back_target(plan, state)
        plan.steps.filter(status=StepStatus.PLANNED).update(status=StepStatus.HELD)
        last = plan.steps.order_by("-number").first()
        TaperStep.objects.create(
            plan=plan,
            number=(last.number if last else 0) + 1,
            due_on=today,
            target_mme=back.target_mme,
            daily_amount=back.daily_amount,
            doses=back.doses,
            note="back up to the previous dose",
            status=StepStatus.STEPPED_BACK,
        )
        _rebuild(plan, superseded=StepStatus.HELD, from_on=today, amount=back.daily_amount)
    row = TaperDecision.objects.create(
        plan=plan,
        step=step,
        suggestion_kind=suggestion.kind.value,
        suggestion_codes=list(suggestion.codes),
        suggestion_reasons=list(suggestion.reasons),
        decision=decision,
        decided_by=by,
        why=why.strip(),
    )
    refresh_lowest_comfortable_dose(plan, today)
    record(
        "careplans.taper.decided",
        actor=by,
        patient=plan.patient,
        obj=row,
        detail={"suggested": suggestion.kind.value, "decision": decision.value},
    )
    return row


def _step_back_target(plan: TaperPlan, state: taper.PlanState) -> TaperStep:
    if state.previous_mme is None:
        raise ValidationError("There is no earlier dose in this plan to go back to.")
    done = _done_steps(plan)
    for step in reversed(done):
        if step.target_mme == state.previous_mme:
            return step
    raise ValidationError("There is no earlier dose in this plan to go back to.")


def refresh_lowest_comfortable_dose(plan: TaperPlan, today: dt.date) -> None:
    """Store the lowest dose held >= 4 weeks with no concern raised (decisions' suggestions)."""
    history = [taper.DoseRecord(s.due_on, s.target_mme) for s in _done_steps(plan)]
    concerns = [
        timezone.localdate(d.at, plan.patient.care_team.site.zone)
        for d in plan.decisions.all()
        if set(d.suggestion_codes) - _not_concerns()
    ]
    best = taper.lowest_comfortable_dose(history, concerns, as_of=today)
    plan.lowest_comfortable_mme = best.daily_mme if best else None
    plan.lowest_comfortable_since = best.since if best else None
    plan.save(update_fields=["lowest_comfortable_mme", "lowest_comfortable_since"])


def _not_concerns() -> frozenset[str]:
    from coproduce.careplans.suggestions import NOT_A_CONCERN

    return NOT_A_CONCERN


# --- Patient requests ---------------------------------------------------------------------


def _team_staff(patient: Patient) -> QuerySet[User]:
    return User.objects.filter(
        care_teams=patient.care_team, role__in=[Role.CLINICIAN, Role.NURSE], is_active=True
    ).order_by("pk")


def request_change(
    plan: TaperPlan, kind: str, text: str, by: User, now: dt.datetime | None = None
) -> TaperRequest:
    """The patient (or parent) asks to pause, slow, stop or restart; the team is alerted.

    A pause or stop takes effect at once: it is the patient's right. The team confirms.
    """
    patient = plan.patient
    if not can_answer_for(by, patient):
        raise PermissionDenied("Only the patient or their parent can ask for a change.")
    if plan.status not in OPEN_PLAN_STATUSES:
        raise ValidationError("This taper plan is closed; talk with your team.")
    try:
        kind = RequestKind(kind)
    except ValueError:
        raise ValidationError("Choose pause, slow, stop or restart.") from None
    if kind == RequestKind.RESUME and plan.status != PlanStatus.PAUSED:
        raise ValidationError("Your taper is not paused.")
    if kind == RequestKind.PAUSE and plan.status == PlanStatus.PAUSED:
        raise ValidationError("Your taper is already paused.")
    now = now or timezone.now()
    today = timezone.localdate(now, patient.care_team.site.zone)
    outcome = taper.apply_patient_request(plan_state(plan), kind.value, today)
    if kind == RequestKind.PAUSE:
        plan.status = PlanStatus.PAUSED
    elif kind == RequestKind.STOP:
        plan.status = PlanStatus.STOPPED
        plan.target_mme = outcome.state.current_mme
        plan.steps.filter(status=StepStatus.PLANNED).update(status=StepStatus.HELD)
    plan.save(update_fields=["status", "target_mme"])
    text = text.strip()
    alert = Alert.objects.create(
        patient=patient,
        care_team=patient.care_team,
        rule_id=REQUEST_RULE_ID,
        priority=Priority.SOON,
        reason="Taper change requested",
        data={
            "kind": kind.value,
            "text": text,
            "team_actions": list(outcome.team_actions),
            "respond_by": outcome.respond_by.isoformat(),
        },
        created_at=now,
        ack_due_at=now + dt.timedelta(days=taper.TEAM_RESPONSE_DAYS),
    )
    request = TaperRequest.objects.create(
        plan=plan,
        kind=kind,
        text=text,
        requested_by=by,
        at=now,
        respond_by=outcome.respond_by,
        alert=alert,
    )
    for member in _team_staff(patient).exclude(email=""):
        Notification.objects.create(
            channel="email",
            to=member.email,
            subject="Taper change requested",
            # No health details in e-mail: the reason is read inside coproduce.
            body=(
                f"Patient {patient.registry_id} asked for a change to their taper plan. "
                f"Please reply by {outcome.respond_by:%Y-%m-%d}."
            ),
            purpose="alert",
            dedupe_key=f"taper-request:{request.pk}:{member.pk}",
            patient=patient,
        )
    record(
        "careplans.taper.requested",
        actor=by,
        patient=patient,
        acting_for=patient if by.role == Role.FAMILY else None,
        obj=request,
        detail={"kind": kind.value},
    )
    return request


def request_message(request: TaperRequest) -> str:
    """What the patient is told at once after asking."""
    state = plan_state(request.plan)
    return taper.apply_patient_request(state, request.kind, request.at.date()).message_to_patient


def answer_request(
    request: TaperRequest, *, answer: str, by: User, now: dt.datetime | None = None
) -> TaperRequest:
    """The team's reply; a slow request rebuilds the schedule, a restart reactivates it."""
    plan = request.plan
    if by.role not in CARE_ROLES or not by.care_teams.filter(pk=plan.patient.care_team_id).exists():
        raise PermissionDenied("Only the patient's care team answers taper requests.")
    if request.answered_at is not None:
        raise ValidationError("This request has already been answered.")
    if not answer.strip():
        raise ValidationError("Write your answer to the patient.")
    now = now or timezone.now()
    today = timezone.localdate(now, plan.patient.care_team.site.zone)
    if request.kind == RequestKind.SLOW and plan.status in OPEN_PLAN_STATUSES:
        slower = plan.pace.slower()
        plan.pace_percent, plan.pace_every_weeks = slower.percent, slower.every_weeks
        plan.pace_every_months = slower.every_months
        plan.save(update_fields=["pace_percent", "pace_every_weeks", "pace_every_months"])
        _rebuild(plan, superseded=StepStatus.SLOWED, from_on=today, amount=_current_amount(plan))
    elif request.kind == RequestKind.RESUME and plan.status == PlanStatus.PAUSED:
        plan.status = PlanStatus.ACTIVE
        plan.save(update_fields=["status"])
        _rebuild(plan, superseded=StepStatus.HELD, from_on=today, amount=_current_amount(plan))
    request.answer = answer.strip()
    request.answered_by = by
    request.answered_at = now
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    if request.alert_id:
        Alert.objects.filter(pk=request.alert_id, resolved_at__isnull=True).update(
            status="resolved",
            resolved_at=now,
            resolved_by=by,
            resolution_note=request.answer,
            action_taken=True,
        )
    record(
        "careplans.taper.answered",
        actor=by,
        patient=plan.patient,
        obj=request,
        detail={"kind": request.kind},
    )
    return request


# --- Changes outside the plan ---------------------------------------------------------------


def check_dose_change(
    patient: Patient, new_mme: Decimal | int | float, *, on: dt.date | None = None, by=None
) -> Alert | None:
    """Alert when a new total MME is an abrupt cut, below the plan, or an unplanned rise."""
    on = on or timezone.localdate()
    history = [r for r in dose_history(patient, until=on) if r.on < on]
    if not history:
        return None
    plan = latest_plan(patient)
    schedule = None
    agreed: list[dt.date] = []
    if plan is not None:
        steps = list(plan.steps.exclude(status__in=[StepStatus.HELD, StepStatus.SLOWED]))
        schedule = taper.TaperSchedule(
            plan.start_mme,
            plan.target_mme,
            plan.pace,
            tuple(
                taper.TaperStep(s.number, s.due_on, s.target_mme, Decimal(0))
                for s in sorted(steps, key=lambda s: (s.due_on, s.number))
            ),
            taper.EndReason.TARGET_REACHED,
        )
        agreed = [s.due_on for s in steps if s.status == StepStatus.STEPPED_BACK]
    # One decimal, as the pages show MME: the finding's message is read by people.
    tenth = Decimal("0.1")
    pair = [
        taper.DoseRecord(history[-1].on, history[-1].daily_mme.quantize(tenth)),
        taper.DoseRecord(on, Decimal(str(new_mme)).quantize(tenth)),
    ]
    findings = taper.detect_unplanned_changes(pair, schedule, agreed_increases=agreed)
    if not findings:
        return None
    finding = findings[-1]
    alert = Alert.objects.create(
        patient=patient,
        care_team=patient.care_team,
        rule_id=DOSE_RULE_ID,
        priority=Priority.SOON,
        reason=finding.message[:300],
        data={
            "kind": finding.kind.value,
            "on": finding.on.isoformat(),
            "from_mme": str(finding.from_mme),
            "to_mme": str(finding.to_mme),
            "planned_mme": None if finding.planned_mme is None else str(finding.planned_mme),
        },
    )
    record(
        "careplans.dose.flagged",
        actor=by,
        patient=patient,
        obj=alert,
        detail={"kind": finding.kind.value},
    )
    return alert


# --- Dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaperStatus:
    """What the dashboard shows about a patient's opioid dose and taper."""

    current_mme: Decimal
    plan_status: str | None
    plan_status_label: str
    next_step_on: dt.date | None
    next_step_mme: Decimal | None
    lowest_comfortable_mme: Decimal | None
    lowest_comfortable_since: dt.date | None
    open_requests: int

    @property
    def has_plan(self) -> bool:
        return self.plan_status is not None


def taper_status(patient: Patient, today: dt.date | None = None) -> TaperStatus:
    """The patient's current MME and taper position (works with or without a plan)."""
    today = today or timezone.localdate(timezone.now(), patient.care_team.site.zone)
    mme = current_mme(patient, today)
    plan = latest_plan(patient)
    if plan is None:
        return TaperStatus(mme, None, "No taper plan", None, None, None, None, 0)
    step = next_step(plan) if plan.status == PlanStatus.ACTIVE else None
    return TaperStatus(
        current_mme=mme,
        plan_status=plan.status,
        plan_status_label=plan.get_status_display(),
        next_step_on=step.due_on if step else None,
        next_step_mme=step.target_mme if step else None,
        lowest_comfortable_mme=plan.lowest_comfortable_mme,
        lowest_comfortable_since=plan.lowest_comfortable_since,
        open_requests=plan.requests.filter(answered_at__isnull=True).count(),
    )


# --- Outcome ---------------------------------------------------------------------------------


def pain_observations(patient: Patient) -> list[Observation]:
    """Pain intensity 0-10 by clinic-local day: pain-nrs, else PEG item 1 (average pain)."""
    zone = patient.care_team.site.zone
    by_day: dict[dt.date, Decimal] = {}
    nrs_days: set[dt.date] = set()
    for score in Score.objects.filter(patient=patient, instrument_id__in=PAIN_INSTRUMENTS).order_by(
        "at", "pk"
    ):
        day = _local_day(score.at, zone)
        if score.instrument_id == "pain-nrs" and score.score is not None:
            by_day[day] = Decimal(str(score.score))
            nrs_days.add(day)
        elif score.instrument_id == "peg" and day not in nrs_days:
            value = _num((score.item_values or {}).get("peg-1"))
            if value is not None:
                by_day[day] = value
    return [Observation(day, pain=pain) for day, pain in sorted(by_day.items())]


def tapering_outcome(patient: Patient) -> TaperingSuccess | None:
    """EMPOWER 12-month tapering success from the first taper plan's start (None: no plan)."""
    plan = TaperPlan.objects.filter(patient=patient).order_by("start_on", "pk").first()
    if plan is None:
        return None
    start = plan.start_on
    pains = pain_observations(patient)
    before = [
        o for o in pains if start - dt.timedelta(days=OUTCOME_BASELINE_PAIN_DAYS) <= o.on <= start
    ]
    baseline = Observation(start, mme=plan.start_mme, pain=before[-1].pain if before else None)
    doses = dose_history(patient)
    follow: list[Observation] = []
    # A dose holds until the next change: sample it on every day of the 12-month window so
    # the nearest-to-day-365 rule sees the dose in force then, not only change dates.
    window = range(-30, 31)
    for offset in window:
        day = start + dt.timedelta(days=365 + offset)
        in_force = [r for r in doses if r.on <= day]
        if in_force:
            follow.append(Observation(day, mme=in_force[-1].daily_mme))
    follow += [o for o in pains if o.on > start]
    return tapering_success(baseline, follow)


def cohort_success_by_site() -> dict[str, CohortRate]:
    """Tapering success rate per site over patients who started a taper plan."""
    results: dict[str, list[TaperingSuccess]] = defaultdict(list)
    patients = (
        Patient.objects.filter(taper_plans__isnull=False)
        .select_related("care_team__site")
        .distinct()
        .order_by("pk")
    )
    for patient in patients:
        outcome = tapering_outcome(patient)
        if outcome is not None:
            results[patient.care_team.site.name].append(outcome)
    return {site: cohort_success_rate(rows) for site, rows in sorted(results.items())}
