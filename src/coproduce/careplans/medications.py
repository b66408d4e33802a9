"""Medication lines, their MME, and dose changes outside the taper plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coproduce.audit.services import record
from coproduce.careplans import dose_review, plans, taper
from coproduce.careplans.mme import (
    DEFAULT_TABLE,
    MMEError,
    MMETotal,
    daily_mme,
    load_table,
    total_mme,
)
from coproduce.careplans.models import (
    Medication,
    StepStatus,
)
from coproduce.people.access import can_answer_for
from coproduce.people.models import Patient, Role, User
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import raise_alert
from coproduce.safetynet.models import Alert

DOSE_RULE_ID = "taper-unplanned-dose-change"
MEDICATION_RULE_ID = "medication-list-query"
#: The alert reason when a patient says a line is wrong (a key, shown in each reader's language).
DISPUTED = gettext_noop("Medicine list: {name} says {medication} is not right")


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
            raise ValidationError(error.message()) from error
        drug, strength, unit, per_day = line.drug, line.strength, line.unit, line.per_day
    else:
        strength, per_day = _other_medicine(drug, strength, per_day, table)
    if replaces is not None:
        if replaces.patient_id != patient.pk:
            raise ValidationError(_("That medication belongs to another patient."))
        if replaces.stopped_on is not None and replaces.stopped_on <= started_on:
            raise ValidationError(_("That medicine was already stopped; add it as a new one."))
        if started_on < replaces.started_on:
            raise ValidationError(_("A change cannot start before the medicine it changes."))
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
        confirmed_by_patient_at=clock.now() if confirmed_by_patient else None,
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
        raise ValidationError(_("A medicine cannot stop before it started."))
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
        raise ValidationError(_("That medicine is already stopped."))
    _stop(medication, on=on, by=by)
    if medication.is_opioid:
        medication.dose_alert = _check_new_total(medication.patient, on, by)
    return medication


def confirm_medication(
    medication: Medication, *, by: User, now: dt.datetime | None = None
) -> Medication:
    """The patient (or parent) says this line is what they take."""
    patient = _answerable(medication, by)
    medication.confirmed_by_patient_at = now or clock.now()
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
        raise ValidationError({"note": _("Tell your team what is different.")})
    now = now or clock.now()
    medication.confirmed_by_patient_at = None
    medication.save(update_fields=["confirmed_by_patient_at"])
    alert = raise_alert(
        patient=patient,
        rule_id=MEDICATION_RULE_ID,
        priority=Priority.ROUTINE,
        reason=DISPUTED.format(name=patient.given_name, medication=medication),
        reason_texts={
            "key": DISPUTED,
            "params": {"name": patient.given_name, "medication": str(medication)},
        },
        data={"medication": medication.pk, "line": str(medication), "note": note},
        now=now,
        actor=by,
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
        raise ValidationError(_("That medicine has been stopped."))
    return patient


def medications_on(patient: Patient, day: dt.date) -> list[Medication]:
    meds = patient.medications.filter(started_on__lte=day).order_by("started_on", "pk")
    return [m for m in meds if m.active_on(day)]


def mme_of(medications: Iterable[Medication]) -> MMETotal:
    """Per-line and total MME of opioid lines (other pain medicines carry no MME)."""
    return total_mme([m.as_line() for m in medications if m.is_opioid])


def current_mme(patient: Patient, day: dt.date | None = None) -> Decimal:
    """Total daily MME on `day` (default: today at the patient's clinic)."""
    return mme_of(
        medications_on(patient, day or clock.clinic_today(patient.care_team.site))
    ).total_mme


def dose_history(patient: Patient, *, until: dt.date | None = None) -> list[dose_review.DoseRecord]:
    """Total daily MME from each date the medication list changed (first change first)."""
    meds = list(patient.medications.filter(is_opioid=True))
    days = sorted({m.started_on for m in meds} | {m.stopped_on for m in meds if m.stopped_on})
    history: list[dose_review.DoseRecord] = []
    for day in days:
        if until is not None and day > until:
            break
        total = mme_of(m for m in meds if m.active_on(day)).total_mme
        if not history or history[-1].daily_mme != total:
            history.append(dose_review.DoseRecord(day, total))
    return history


# --- Changes outside the plan ---------------------------------------------------------------


def check_dose_change(
    patient: Patient, new_mme: Decimal | int | float, *, on: dt.date | None = None, by=None
) -> Alert | None:
    """Alert when a new total MME is an abrupt cut, below the plan, or an unplanned rise."""
    on = on or clock.clinic_today(patient.care_team.site)
    history = [r for r in dose_history(patient, until=on) if r.on < on]
    if not history:
        return None
    plan = plans.latest_plan(patient)
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
        dose_review.DoseRecord(history[-1].on, history[-1].daily_mme.quantize(tenth)),
        dose_review.DoseRecord(on, Decimal(str(new_mme)).quantize(tenth)),
    ]
    findings = dose_review.detect_unplanned_changes(pair, schedule, agreed_increases=agreed)
    if not findings:
        return None
    finding = findings[-1]
    alert = raise_alert(
        patient=patient,
        rule_id=DOSE_RULE_ID,
        priority=Priority.SOON,
        reason=finding.message,
        reason_texts={"key": finding.key, "params": dict(finding.params)},
        actor=by,
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
