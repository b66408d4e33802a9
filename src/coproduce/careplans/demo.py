"""Demo medications, goals and taper plans at different stages.

Maria (CP-DEMOPAT1) is on oxycodone with goals and actions but no taper plan yet: the
clinician builds one with her in the demo. Three other pain patients show a taper going
well, one paused at the patient's request, and one stepped back up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from coproduce.careplans import services
from coproduce.careplans.models import (
    ActionItem,
    Decision,
    Goal,
    GoalKind,
    PlanStatus,
    RequestKind,
    StepStatus,
    TaperDecision,
    TaperPlan,
    TaperRequest,
)
from coproduce.careplans.suggestions import Suggestion, SuggestionKind
from coproduce.careplans.taper import PACE_OPTIONS, Regimen
from coproduce.demo import DemoContext
from coproduce.people.models import Condition, Patient, User
from coproduce.platform import clock

D = Decimal
TEN_PERCENT_EVERY_4_WEEKS = PACE_OPTIONS[3]

GOALS = [
    ("Walk my dog every morning", GoalKind.PATIENT, "peg", "<=", D(4)),
    ("Dance at my daughter's wedding in June", GoalKind.PATIENT, "", "", None),
    ("Lowest comfortable opioid dose, agreed together", GoalKind.CLINICAL, "", "", None),
    ("Pain interference (PEG) at most 4", GoalKind.CLINICAL, "peg", "<=", D(4)),
]
ACTIONS = [
    ("patient", "Walk 10 minutes after breakfast, 5 days a week", 14),
    ("family", "Walk the dog with Maria on Sundays", 14),
    ("team", "Book the pain self-management course", 7),
]


def seed(ctx: DemoContext) -> None:
    clinician = User.objects.get(username="clinician")
    nurse = User.objects.get(username="nurse")
    maria = ctx.objects["named"]["patient"]
    _maria(ctx, maria, clinician)
    pain_patients = [
        p
        for p in ctx.objects["patients"]
        if p.registry_id.startswith("CP-DEMO")
        and p.care_team_id == maria.care_team_id
        and p.pk != maria.pk
        and p.conditions.filter(condition=Condition.CHRONIC_PAIN).exists()
    ]
    stages = [_going_well, _paused, _stepped_back]
    for patient, stage in zip(pain_patients, stages, strict=False):
        if TaperPlan.objects.filter(patient=patient).exists():
            continue
        stage(ctx, patient, clinician, nurse)
        ctx.count("taper plans", True)
    # Lucía (`paciente`, at the US site) tapers too, so her weekly check-in asks the taper's
    # own questions, which read in Spanish (the PEG and PHQ-9 have no official Spanish here).
    for patient in ctx.objects.get("language_patients") or []:
        pain = patient.conditions.filter(condition=Condition.CHRONIC_PAIN).exists()
        if pain and not TaperPlan.objects.filter(patient=patient).exists():
            _going_well(ctx, patient, clinician, nurse)
            ctx.count("taper plans", True)


def _maria(ctx: DemoContext, maria: Patient, clinician: User) -> None:
    if not maria.medications.exists():
        start = ctx.today - dt.timedelta(days=3 * 365)
        services.record_medication(
            maria, drug="oxycodone", strength=10, per_day=3, started_on=start, by=clinician
        )
        services.record_medication(
            maria,
            drug="paracetamol",
            strength=1000,
            per_day=3,
            started_on=start,
            by=clinician,
            is_opioid=False,
        )
        ctx.count("medications", True)
    for text, kind, instrument, comparator, target in GOALS:
        _, created = Goal.objects.get_or_create(
            patient=maria,
            text=text,
            defaults={
                "kind": kind,
                "instrument_id": instrument,
                "comparator": comparator,
                "target_value": target,
                "set_by": clinician if kind == GoalKind.CLINICAL else maria.user,
            },
        )
        ctx.count("goals", created)
    for who, what, days in ACTIONS:
        _, created = ActionItem.objects.get_or_create(
            patient=maria,
            what=what,
            defaults={"who": who, "due_on": ctx.today + dt.timedelta(days=days)},
        )
        ctx.count("action items", created)


def _start(ctx: DemoContext, patient: Patient, clinician: User, days_ago: int, tablet: int):
    """Oxycodone ``tablet`` mg three times a day for years; a plan agreed ``days_ago``."""
    start_on = ctx.today - dt.timedelta(days=days_ago)
    med = services.record_medication(
        patient,
        drug="oxycodone",
        strength=tablet,
        per_day=3,
        started_on=start_on - dt.timedelta(days=4 * 365),
        by=clinician,
    )
    regimen = Regimen("oxycodone", D(tablet * 3), D(5), doses_per_day=3)
    plan = services.create_taper_plan(
        patient, regimen=regimen, pace=TEN_PERCENT_EVERY_4_WEEKS, start_on=start_on, by=clinician
    )
    return plan, med


def _take_steps(plan: TaperPlan, med, clinician: User, until: dt.date, count: int):
    """Mark the first ``count`` planned steps due by ``until`` done, as go-ahead decisions."""
    steps = list(plan.steps.filter(status=StepStatus.PLANNED, due_on__lte=until)[:count])
    for step in steps:
        step.status = StepStatus.DONE
        step.save(update_fields=["status"])
        decision = TaperDecision.objects.create(
            plan=plan,
            step=step,
            suggestion_kind=Decision.GO_AHEAD,
            suggestion_codes=["go_ahead"],
            suggestion_reasons=[
                "Your check-ins since the last change look steady; the next step can go ahead."
            ],
            decision=Decision.GO_AHEAD,
            decided_by=clinician,
            why="Agreed at the phone follow-up.",
        )
        TaperDecision.objects.filter(pk=decision.pk).update(at=_noon(step.due_on, plan))
        amount = step.daily_amount or Decimal(0)
        med = services.record_medication(
            plan.patient,
            drug="oxycodone",
            strength=amount / 3 if amount % 3 == 0 else amount,
            per_day=3 if amount % 3 == 0 else 1,
            started_on=step.due_on,
            by=clinician,
            replaces=med,
        )
    return med


def _noon(day: dt.date, plan: TaperPlan) -> dt.datetime:
    zone = plan.patient.care_team.site.zone
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone).astimezone(dt.UTC)


def _going_well(ctx: DemoContext, patient: Patient, clinician: User, nurse: User) -> None:
    plan, med = _start(ctx, patient, clinician, 20 * 7, 20)
    _take_steps(plan, med, clinician, ctx.today, 5)
    services.refresh_lowest_comfortable_dose(plan, ctx.today)


def _paused(ctx: DemoContext, patient: Patient, clinician: User, nurse: User) -> None:
    plan, med = _start(ctx, patient, clinician, 10 * 7, 15)
    _take_steps(plan, med, clinician, ctx.today, 1)
    plan.status = PlanStatus.PAUSED
    plan.save(update_fields=["status"])
    asked = clock.now() - dt.timedelta(days=9)
    TaperRequest.objects.create(
        plan=plan,
        kind=RequestKind.PAUSE,
        text="Asked by phone: moving house this month, wants to pause until it is done.",
        requested_by=nurse,
        at=asked,
        respond_by=ctx.today - dt.timedelta(days=6),
        answered_by=nurse,
        answer="Paused at the current dose. Call us when you are ready to restart.",
        answered_at=asked + dt.timedelta(hours=5),
    )
    services.refresh_lowest_comfortable_dose(plan, ctx.today)


def _stepped_back(ctx: DemoContext, patient: Patient, clinician: User, nurse: User) -> None:
    plan, med = _start(ctx, patient, clinician, 12 * 7, 30)
    med = _take_steps(plan, med, clinician, ctx.today - dt.timedelta(days=21), 2)
    back_on = ctx.today - dt.timedelta(days=14)
    previous = services.plan_state(plan).previous_mme
    suggestion = Suggestion(
        SuggestionKind.STEP_BACK_UP,
        ("pain_severe", "step_back"),
        step_back_to_mme=previous,
        params={"previous": f"{previous.normalize():f}" if previous is not None else ""},
    )
    decision = services.record_decision(
        plan,
        suggestion=suggestion,
        decision=Decision.STEP_BACK_UP,
        by=clinician,
        why="Agreed with the patient: back to the previous dose, then try again more slowly.",
        today=back_on,
    )
    TaperDecision.objects.filter(pk=decision.pk).update(at=_noon(back_on, plan))
    back = plan.steps.filter(status=StepStatus.STEPPED_BACK).first()
    if back is not None and back.daily_amount is not None:
        services.record_medication(
            patient,
            drug="oxycodone",
            strength=back.daily_amount / 3,
            per_day=3,
            started_on=back_on,
            by=clinician,
            replaces=med,
        )
    services.refresh_lowest_comfortable_dose(plan, ctx.today)
