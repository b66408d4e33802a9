"""Care plan actions: medications, the taper plan, suggestions, decisions and requests.

Each function saves, audits and leaves the transaction to the caller. The clinical logic
lives in the pure modules (``mme``, ``taper``, ``suggestions``, ``outcomes``); this module
reads and writes rows around them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coproduce.audit.services import record
from coproduce.careplans import taper
from coproduce.careplans.medications import (
    DOSE_RULE_ID,
    MEDICATION_RULE_ID,
    check_dose_change,
    confirm_medication,
    current_mme,
    dose_history,
    medications_on,
    mme_of,
    record_medication,
    report_medication_problem,
    stop_medication,
)
from coproduce.careplans.models import (
    OPEN_PLAN_STATUSES,
    PlanStatus,
    RequestKind,
    StepStatus,
    TaperPlan,
    TaperRequest,
)
from coproduce.careplans.outcomes import (
    CohortRate,
    Observation,
    TaperingSuccess,
    cohort_success_rate,
    tapering_success,
)
from coproduce.careplans.plans import (
    BASELINE_WINDOW_DAYS,
    PAIN_INSTRUMENTS,
    SATISFACTION_CODES,
    as_decimal,
    create_taper_plan,
    current_amount,
    latest_plan,
    next_step,
    open_plan,
    pace_from,
    plan_state,
    preview_schedule,
    rebuild_remaining,
    record_decision,
    refresh_lowest_comfortable_dose,
    regimen_of,
    suggest_for_next_step,
    weekly_checkins,
)
from coproduce.checkins.models import Score
from coproduce.people.access import can_answer_for
from coproduce.people.models import CARE_ROLES, CLINICAL_ROLES, Patient, Role, User
from coproduce.platform import clock
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.alerts import raise_alert
from coproduce.safetynet.models import Alert

REQUEST_RULE_ID = "taper-request"
#: The alert's reason, kept as its key so each reader sees it in their language.
REQUEST_REASON = gettext_noop("Taper change requested")
#: Pain at baseline for the 12-month outcome: the pain score nearest the plan start within
#: this many days before it (or on the day).
OUTCOME_BASELINE_PAIN_DAYS = 30

# --- Patient requests ---------------------------------------------------------------------


def _team_staff(patient: Patient) -> QuerySet[User]:
    return User.objects.filter(
        care_teams=patient.care_team, role__in=CLINICAL_ROLES, is_active=True
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
        raise ValidationError(_("This taper plan is closed; talk with your team."))
    try:
        kind = RequestKind(kind)
    except ValueError:
        raise ValidationError(_("Choose pause, slow, stop, restart or go back up.")) from None
    if kind == RequestKind.RESUME and plan.status != PlanStatus.PAUSED:
        raise ValidationError(_("Your taper is not paused."))
    if kind == RequestKind.PAUSE and plan.status == PlanStatus.PAUSED:
        raise ValidationError(_("Your taper is already paused."))
    now = now or clock.now()
    today = clock.clinic_today(patient.care_team.site, now)
    # The alert keeps the team's actions in English, like every stored text's fallback.
    with translation.override("en"):
        outcome = taper.apply_patient_request(plan_state(plan), kind.value, today)
    if kind in (RequestKind.PAUSE, RequestKind.INCREASE):
        plan.status = PlanStatus.PAUSED
    elif kind == RequestKind.STOP:
        plan.status = PlanStatus.STOPPED
        plan.target_mme = outcome.state.current_mme
        plan.steps.filter(status=StepStatus.PLANNED).update(status=StepStatus.HELD)
    plan.save(update_fields=["status", "target_mme"])
    text = text.strip()
    alert = raise_alert(
        patient=patient,
        rule_id=REQUEST_RULE_ID,
        priority=Priority.SOON,
        reason=REQUEST_REASON,
        reason_texts={"key": REQUEST_REASON},
        data={
            "kind": kind.value,
            "text": text,
            "team_actions": list(outcome.team_actions),
            "respond_by": outcome.respond_by.isoformat(),
        },
        now=now,
        ack_due_at=now + dt.timedelta(days=taper.TEAM_RESPONSE_DAYS),
        actor=by,
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
        with translation.override(member.reading_language() or settings.LANGUAGE_CODE):
            subject = _(REQUEST_REASON)
            # No health details in e-mail: the reason is read inside coproduce.
            body = _(
                "Patient %(patient)s asked for a change to their taper plan. "
                "Please reply by %(day)s."
            ) % {"patient": patient.registry_id, "day": f"{outcome.respond_by:%Y-%m-%d}"}
        Notification.objects.create(
            channel="email",
            to=member.email,
            subject=subject,
            body=body,
            purpose="alert",
            priority=alert.priority,
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
    """What the patient is told at once after asking, in the active language."""
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
        raise ValidationError(_("This request has already been answered."))
    if not answer.strip():
        raise ValidationError(_("Write your answer to the patient."))
    now = now or clock.now()
    today = clock.clinic_today(plan.patient.care_team.site, now)
    if request.kind == RequestKind.SLOW and plan.status in OPEN_PLAN_STATUSES:
        slower = plan.pace.slower()
        plan.pace_percent, plan.pace_every_weeks = slower.percent, slower.every_weeks
        plan.pace_every_months = slower.every_months
        plan.save(update_fields=["pace_percent", "pace_every_weeks", "pace_every_months"])
        rebuild_remaining(
            plan, superseded=StepStatus.SLOWED, from_on=today, amount=current_amount(plan)
        )
    elif request.kind == RequestKind.RESUME and plan.status == PlanStatus.PAUSED:
        plan.status = PlanStatus.ACTIVE
        plan.save(update_fields=["status"])
        rebuild_remaining(
            plan, superseded=StepStatus.HELD, from_on=today, amount=current_amount(plan)
        )
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
    today = today or clock.clinic_today(patient.care_team.site)
    mme = current_mme(patient, today)
    plan = latest_plan(patient)
    if plan is None:
        return TaperStatus(mme, None, _("No taper plan"), None, None, None, None, 0)
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
        day = clock.clinic_day(score.at, zone)
        if score.instrument_id == "pain-nrs" and score.score is not None:
            by_day[day] = Decimal(str(score.score))
            nrs_days.add(day)
        elif score.instrument_id == "peg" and day not in nrs_days:
            value = as_decimal((score.item_values or {}).get("peg-1"))
            if value is not None:
                by_day[day] = value
    return [Observation(day, pain=pain) for day, pain in sorted(by_day.items())]


def tapering_outcome(patient: Patient) -> TaperingSuccess | None:
    """EMPOWER 12-month tapering success from the first taper plan's start (None: no plan)."""
    plan = TaperPlan.objects.filter(patient=patient).order_by("start_on", "pk").first()
    if plan is None:
        return None
    return tapering_outcome_from(patient, plan.start_on, plan.start_mme)


def tapering_outcome_from(
    patient: Patient,
    start: dt.date,
    start_mme: Decimal | None,
    *,
    until: dt.date | None = None,
) -> TaperingSuccess:
    """EMPOWER 12-month tapering success counted from `start` (a study: randomisation).

    `until`: no data after this day counts (a participant who stopped follow-up).
    """
    pains = [o for o in pain_observations(patient) if until is None or o.on <= until]
    before = [
        o for o in pains if start - dt.timedelta(days=OUTCOME_BASELINE_PAIN_DAYS) <= o.on <= start
    ]
    baseline = Observation(start, mme=start_mme, pain=before[-1].pain if before else None)
    doses = dose_history(patient, until=until)
    follow: list[Observation] = []
    # A dose holds until the next change: sample it on every day of the 12-month window so
    # the nearest-to-day-365 rule sees the dose in force then, not only change dates.
    window = range(-30, 31)
    for offset in window:
        day = start + dt.timedelta(days=365 + offset)
        in_force = [r for r in doses if r.on <= day]
        if in_force and (until is None or day <= until):
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


# Medications and plans live in their own modules and are re-exported from here, so that
# callers have one place to import care-plan actions from.
__all__ = [
    "BASELINE_WINDOW_DAYS",
    "DOSE_RULE_ID",
    "MEDICATION_RULE_ID",
    "OUTCOME_BASELINE_PAIN_DAYS",
    "PAIN_INSTRUMENTS",
    "REQUEST_RULE_ID",
    "SATISFACTION_CODES",
    "TaperStatus",
    "answer_request",
    "as_decimal",
    "check_dose_change",
    "cohort_success_by_site",
    "confirm_medication",
    "create_taper_plan",
    "current_amount",
    "current_mme",
    "dose_history",
    "latest_plan",
    "medications_on",
    "mme_of",
    "next_step",
    "open_plan",
    "pace_from",
    "pain_observations",
    "plan_state",
    "preview_schedule",
    "rebuild_remaining",
    "record_decision",
    "record_medication",
    "refresh_lowest_comfortable_dose",
    "regimen_of",
    "report_medication_problem",
    "request_change",
    "request_message",
    "stop_medication",
    "suggest_for_next_step",
    "taper_status",
    "tapering_outcome",
    "tapering_outcome_from",
    "weekly_checkins",
]
