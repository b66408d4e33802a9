"""Taper plans: building the schedule, reading check-ins into suggestions, decisions."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.careplans import dose_review, taper
from coproduce.careplans.mme import (
    DEFAULT_TABLE,
    MMEError,
)
from coproduce.careplans.models import (
    OPEN_PLAN_STATUSES,
    Decision,
    PlanStatus,
    StepStatus,
    TaperDecision,
    TaperPlan,
    TaperStep,
)
from coproduce.careplans.suggestions import Baseline, Suggestion, WeeklyCheckin, suggest_next_step
from coproduce.checkins.models import Score
from coproduce.people.models import CLINICAL_ROLES, Patient, Role, User
from coproduce.platform import clock

#: Check-ins before the last change count as its baseline when at most this old.
BASELINE_WINDOW_DAYS = 28
PAIN_INSTRUMENTS = ("pain-nrs", "peg")
#: Satisfaction codes of the taper-weekly check-in on the 0-10 scale the suggestion reads.
SATISFACTION_CODES = {
    "very-dissatisfied": 0,
    "dissatisfied": 2,
    "neutral": 5,
    "satisfied": 8,
    "very-satisfied": 10,
}


# --- The taper plan -----------------------------------------------------------------------


def pace_from(percent: Decimal | int | str, every_weeks: int = 0, every_months: int = 0):
    """The chosen pace if it is one of the safe options, else a ValidationError saying why."""
    try:
        pace = taper.Pace(Decimal(str(percent)), every_weeks=every_weeks, every_months=every_months)
    except taper.UnsafePaceError as error:
        raise ValidationError(_("That pace is not safe: %(why)s.") % {"why": error}) from error
    if pace not in taper.PACE_OPTIONS:
        options = "; ".join(p.label for p in taper.PACE_OPTIONS)
        raise ValidationError(
            _("Choose one of the safe paces: %(options)s.") % {"options": options}
        )
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
        raise ValidationError(_("Choose one of the safe paces."))
    try:
        schedule = taper.build_schedule(start_on, regimen, pace, target_mme=target_mme)
    except taper.TaperInputError as error:
        raise ValidationError(str(error)) from error
    except MMEError as error:
        raise ValidationError(error.message()) from error
    if len(schedule.steps) < 2:
        # Only step 0 (today's dose): saving it would give the patient a "plan" that never
        # changes anything. Say why and what to change instead.
        raise ValidationError(
            _(
                "This plan has no steps, so saving it would change nothing: from %(amount)s "
                "%(unit)s a day with a smallest unit of %(dose_unit)s %(unit)s, no step fits "
                "the pace. %(why)s Enter a smaller dose unit (a lower-strength tablet, a half "
                "tablet or a liquid) or a goal below today's dose."
            )
            % {
                "amount": f"{regimen.daily_amount.normalize():f}",
                "dose_unit": f"{regimen.dose_unit.normalize():f}",
                "unit": regimen.unit,
                "why": str(taper.END_NOTES.get(schedule.end_reason, "")),
            }
        )
    return schedule


def _in_english(key: str, params) -> str:
    with translation.override("en"):
        return taper.shown_text(key, params)


def _english_label(pace: taper.Pace) -> str:
    with translation.override("en"):
        return pace.label


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
                note=_in_english(step.note, step.note_params),
                note_texts={"key": step.note, "params": dict(step.note_params)}
                if step.note
                else {},
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
        raise ValidationError(_("This patient already has a taper plan; change that one instead."))
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
        # The audit log is written in English, whoever's language the page was in.
        detail={"start_mme": str(plan.start_mme), "pace": _english_label(pace), "steps": len(rows)},
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


def rebuild_remaining(
    plan: TaperPlan, *, superseded: str, from_on: dt.date, amount: Decimal
) -> None:
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


def current_amount(plan: TaperPlan) -> Decimal:
    done = _done_steps(plan)
    if done and done[-1].daily_amount is not None:
        return done[-1].daily_amount
    return Decimal(str(plan.regimen["daily_amount"]))


# --- Check-ins into suggestions ---------------------------------------------------------


def as_decimal(value) -> Decimal | None:
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
        day = clock.clinic_day(score.at, zone)
        if since is not None and day < since:
            continue
        week = weeks[day.isocalendar()[:2]]
        week["on"] = day
        values = score.item_values or {}
        if score.instrument_id == "pain-nrs":
            week["pain"] = as_decimal(score.score)
            week["_nrs"] = True
        elif score.instrument_id == "peg" and not week.get("_nrs"):
            week["pain"] = as_decimal(score.score)
        elif score.instrument_id == "phq9":
            week["phq9"] = None if score.score is None else int(score.score)
            item9 = as_decimal(values.get("phq9-9"))
            week["phq9_item9"] = None if item9 is None else int(item9)
        elif score.instrument_id == "taper-weekly":
            comfort = as_decimal(values.get("taper-comfort"))
            week["comfort"] = None if comfort is None else int(comfort)
            satisfaction = values.get("taper-satisfaction")
            if isinstance(satisfaction, str):
                week["satisfaction"] = SATISFACTION_CODES.get(satisfaction)
            elif (number := as_decimal(satisfaction)) is not None:
                week["satisfaction"] = int(number)
            sows = as_decimal(values.get("sows"))
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
    now = now or clock.now()
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
    if by.role not in CLINICAL_ROLES:
        raise PermissionDenied("Only the care team records taper decisions.")
    if plan.status not in OPEN_PLAN_STATUSES:
        raise ValidationError(_("This taper plan is closed."))
    decision = Decision(decision)
    if decision != suggestion.kind and not why.strip():
        raise ValidationError(_("Say why when the decision differs from the suggestion."))
    today = today or clock.clinic_today(plan.patient.care_team.site)
    step = next_step(plan)
    state = plan_state(plan)
    amount = current_amount(plan)
    if decision == Decision.GO_AHEAD:
        if plan.status != PlanStatus.ACTIVE:
            raise ValidationError(_("The plan is paused; restart it with the patient first."))
        if step is None:
            raise ValidationError(_("There is no planned step left."))
        step.status = StepStatus.DONE
        step.save(update_fields=["status"])
    elif decision == Decision.HOLD:
        rebuild_remaining(plan, superseded=StepStatus.HELD, from_on=today, amount=amount)
    elif decision == Decision.SLOW:
        slower = plan.pace.slower()
        plan.pace_percent, plan.pace_every_weeks = slower.percent, slower.every_weeks
        plan.pace_every_months = slower.every_months
        plan.save(update_fields=["pace_percent", "pace_every_weeks", "pace_every_months"])
        rebuild_remaining(plan, superseded=StepStatus.SLOWED, from_on=today, amount=amount)
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
            note=_in_english(taper.NOTE_BACK_UP, {}),
            note_texts={"key": taper.NOTE_BACK_UP, "params": {}},
            status=StepStatus.STEPPED_BACK,
        )
        amount = back.daily_amount if back.daily_amount is not None else current_amount(plan)
        rebuild_remaining(plan, superseded=StepStatus.HELD, from_on=today, amount=amount)
    row = TaperDecision.objects.create(
        plan=plan,
        step=step,
        suggestion_kind=suggestion.kind.value,
        suggestion_codes=list(suggestion.codes),
        suggestion_params=dict(suggestion.params),
        suggestion_reasons=[_in_english(key, suggestion.params) for key in suggestion.reason_keys],
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
        raise ValidationError(_("There is no earlier dose in this plan to go back to."))
    done = _done_steps(plan)
    for step in reversed(done):
        if step.target_mme == state.previous_mme:
            return step
    raise ValidationError(_("There is no earlier dose in this plan to go back to."))


def refresh_lowest_comfortable_dose(plan: TaperPlan, today: dt.date) -> None:
    """Store the lowest dose held >= 4 weeks with no concern raised (decisions' suggestions)."""
    history = [dose_review.DoseRecord(s.due_on, s.target_mme) for s in _done_steps(plan)]
    concerns = [
        clock.clinic_day(d.at, plan.patient.care_team.site)
        for d in plan.decisions.all()
        if set(d.suggestion_codes) - _not_concerns()
    ]
    best = dose_review.lowest_comfortable_dose(history, concerns, as_of=today)
    plan.lowest_comfortable_mme = best.daily_mme if best else None
    plan.lowest_comfortable_since = best.since if best else None
    plan.save(update_fields=["lowest_comfortable_mme", "lowest_comfortable_since"])


def _not_concerns() -> frozenset[str]:
    from coproduce.careplans.suggestions import NOT_A_CONCERN

    return NOT_A_CONCERN
