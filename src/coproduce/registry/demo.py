"""Demo history for the registry's measures: what happened around two years of visits.

Runs after the other seeders. For each past visit (visits.demo): the pre-visit check-in
(once the patient is enrolled), the collaboRATE survey after it, and at RA and IBD visits the
clinician's DAS28, HBI or PUCAI, scored through the instrument library. Earlier pain
patients get taper plans, so the taper cohort spans the charts, and the completion chart
carries the reminder change as a PDSA annotation. Written in bulk and keyed by
appointment, so seeding twice creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from coproduce.careplans import demo as careplans_demo
from coproduce.careplans.models import PlanStatus, TaperPlan
from coproduce.checkins.demo import (
    MISSED,
    REMINDER_CHANGE_TITLE,
    reminder_change_on,
)
from coproduce.checkins.models import (
    CheckinResponse,
    Enrollment,
    Invitation,
    InvitationStatus,
    Schedule,
    ScheduleKind,
    Score,
)
from coproduce.demo import DemoContext
from coproduce.instruments.scoring import score
from coproduce.people.models import Condition, Patient, User
from coproduce.platform import clock
from coproduce.registry.models import PdsaAnnotation
from coproduce.visits.models import Appointment, AppointmentStatus

#: Chance a pre-visit check-in is done before the visit, before and after the reminders.
PREVISIT_DONE = (0.62, 0.82)
#: Chance the collaboRATE survey after a visit is answered.
COLLABORATE_ANSWERED = 0.8
#: Chance all three collaboRATE items are 9 (the top score), at the start and at the end.
COLLABORATE_TOP = (0.52, 0.64)
#: How many earlier pain patients have a taper plan (besides careplans.demo's three).
TAPER_PATIENTS = 11
CONCERNS = ["Morning stiffness", "My medicines", "Fatigue", "Sleep", "Work and school"]


@dataclass
class _Rows:
    invitations: list[Invitation] = field(default_factory=list)
    responses: list[CheckinResponse] = field(default_factory=list)
    scores: list[tuple[int, list]] = field(default_factory=list)

    def respond(
        self,
        patient: Patient,
        answers: dict,
        key: str,
        at: dt.datetime,
        invitation: Invitation | None = None,
        by: User | None = None,
    ) -> None:
        results = [score(i, None, a) for i, a in answers.items()]
        self.responses.append(
            CheckinResponse(
                patient=patient,
                invitation=invitation,
                submitted_by=by,
                source="demo",
                answers=answers,
                versions={r.instrument_id: r.version for r in results},
                idempotency_key=key,
                submitted_at=at,
            )
        )
        self.scores.append((len(self.responses) - 1, results))


def seed(ctx: DemoContext) -> None:
    _visit_history(ctx)
    _taper_history(ctx)
    _annotation(ctx)


def _visit_history(ctx: DemoContext) -> None:
    start_of_week = clock.now() - dt.timedelta(days=ctx.today.weekday() + 1)
    appointments = list(
        Appointment.objects.filter(starts_at__lt=start_of_week)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient__care_team__site", "clinician")
        .order_by("patient__registry_id", "starts_at")
    )
    done = set(
        Invitation.objects.filter(appointment__in=appointments).values_list(
            "appointment_id", flat=True
        )
    )
    enrollments = {
        e.patient_id: e for e in Enrollment.objects.select_related("program").order_by("pk")
    }
    visit_schedules = {
        (s.program_id, s.kind): s
        for s in Schedule.objects.filter(kind__in=[ScheduleKind.PREVISIT, ScheduleKind.POSTVISIT])
    }
    first = min((a.starts_at for a in appointments), default=clock.now())
    span = max((start_of_week - first).total_seconds(), 1.0)
    change_on = reminder_change_on(ctx.today)
    rows = _Rows()
    course: dict[int, _Course] = {}
    for appt in appointments:
        patient = appt.patient
        if patient.pk not in course:
            course[patient.pk] = _Course.draw(
                ctx, ctx.objects["team_condition"].get(patient.care_team_id)
            )
        t = (appt.starts_at - first).total_seconds() / span
        # Every value is drawn for every visit, whether or not it is written, so a second
        # run draws the same stream.
        previsit_roll, previsit_delay = ctx.rng.random(), ctx.rng.uniform(0.05, 0.95)
        survey_roll, survey_delay = ctx.rng.random(), ctx.rng.randint(5, 36 * 60)
        survey = _collaborate(ctx, t)
        index = _index_answers(ctx, course[patient.pk], patient, t)
        concern, pain = ctx.rng.choice(CONCERNS), ctx.rng.randint(1, 8)
        if appt.pk in done:
            continue
        zone = patient.care_team.site.zone
        local_day = appt.starts_at.astimezone(zone).date()
        enrollment = enrollments.get(patient.pk)
        enrolled = enrollment is not None and enrollment.started_on <= local_day - dt.timedelta(
            days=3
        )
        program_id = enrollment.program_id if enrollment else None
        if enrolled:
            schedule = visit_schedules.get((program_id or 0, ScheduleKind.PREVISIT))
            due = dt.datetime.combine(local_day - dt.timedelta(days=3), dt.time(9), tzinfo=zone)
            expires = min(due + dt.timedelta(days=3), appt.starts_at)
            rate = PREVISIT_DONE[local_day >= change_on]
            site_rate = rate - (MISSED[patient.care_team.site.slug][0] - 0.22) / 2
            answered = previsit_roll < site_rate
            completed = due + (expires - due) * previsit_delay if answered else None
            instruments = list(schedule.instruments) if schedule else ["previsit"]
            invitation = _invitation(patient, schedule, appt, instruments, due, expires, completed)
            rows.invitations.append(invitation)
            if completed is not None:
                answers: dict[str, dict[str, Any]] = {"previsit": {"previsit-concern": concern}}
                if "pain-nrs" in instruments:
                    answers["pain-nrs"] = {"pain-nrs": pain}
                rows.respond(patient, answers, f"demo-visit:{appt.pk}:pre", completed, invitation)
        if appt.status != AppointmentStatus.ATTENDED:
            continue
        ends = appt.starts_at + dt.timedelta(minutes=appt.minutes)
        # collaboRATE goes after every visit (the network's visit survey); enrolled RA
        # patients get it from their program's post-visit schedule.
        schedule = (
            visit_schedules.get((program_id or 0, ScheduleKind.POSTVISIT)) if enrolled else None
        )
        due = ends + dt.timedelta(hours=2)
        answered = survey_roll < COLLABORATE_ANSWERED
        completed = due + dt.timedelta(minutes=survey_delay) if answered else None
        invitation = _invitation(
            patient, schedule, appt, ["collaborate"], due, due + dt.timedelta(days=5), completed
        )
        rows.invitations.append(invitation)
        if completed is not None:
            rows.respond(
                patient,
                {"collaborate": survey},
                f"demo-visit:{appt.pk}:post",
                completed,
                invitation,
            )
        if index is not None:
            rows.respond(patient, index, f"demo-visit:{appt.pk}:index", ends, by=appt.clinician)
    Invitation.objects.bulk_create(rows.invitations, batch_size=500)
    CheckinResponse.objects.bulk_create(rows.responses, batch_size=500)
    Score.objects.bulk_create(
        [Score.from_result(rows.responses[i], r) for i, results in rows.scores for r in results],
        batch_size=1000,
    )
    for what, made in (("visit check-ins", rows.invitations), ("visit scores", rows.responses)):
        for _ in made:
            ctx.count(what, True)


def _invitation(
    patient: Patient,
    schedule: Schedule | None,
    appt: Appointment,
    instruments: list[str],
    due: dt.datetime,
    expires: dt.datetime,
    completed: dt.datetime | None,
) -> Invitation:
    return Invitation(
        patient=patient,
        schedule=schedule,
        appointment=appt,
        instruments=instruments,
        due_at=due,
        expires_at=expires,
        reminder_days=list(schedule.reminder_days) if schedule else [1],
        status=InvitationStatus.COMPLETED if completed else InvitationStatus.EXPIRED,
        sent_at=due,
        completed_at=completed,
        created_at=due - dt.timedelta(days=7),
    )


def _collaborate(ctx: DemoContext, t: float) -> dict:
    top = COLLABORATE_TOP[0] + (COLLABORATE_TOP[1] - COLLABORATE_TOP[0]) * t
    if ctx.rng.random() < top:
        return {f"collaborate-{i}": 9 for i in (1, 2, 3)}
    items = [max(3, min(9, round(ctx.rng.gauss(7.5, 1.3)))) for _ in range(3)]
    items[ctx.rng.randrange(3)] = min(items[0], 8)  # not a top score
    return {f"collaborate-{i}": v for i, v in zip((1, 2, 3), items, strict=True)}


#: Disease activity (0-1) at the start of the history and its fall over it, as ranges:
#: treat-to-target brings RA activity down; IBD is mostly in remission, with flares.
COURSES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    Condition.RA: ((0.0, 0.34), (0.0, 0.16)),
    Condition.IBD: ((0.2, 0.65), (0.0, 0.2)),
}


@dataclass
class _Course:
    """One patient's disease course: activity (0-1) falling from `start` by `fall`."""

    start: float
    fall: float
    crohns: bool  # IBD: Crohn's disease (HBI) or ulcerative colitis (PUCAI)

    @classmethod
    def draw(cls, ctx: DemoContext, condition: str | None) -> _Course:
        (lo, hi), (fall_lo, fall_hi) = COURSES.get(condition or "", ((0.0, 0.5), (0.0, 0.2)))
        return cls(
            ctx.rng.uniform(lo, hi), ctx.rng.uniform(fall_lo, fall_hi), ctx.rng.random() < 0.5
        )

    def activity(self, ctx: DemoContext, t: float) -> float:
        flare = 0.3 if ctx.rng.random() < 0.08 else 0.0
        return max(0.0, min(1.0, self.start - self.fall * t + flare + ctx.rng.gauss(0, 0.06)))


def _index_answers(ctx: DemoContext, course: _Course, patient: Patient, t: float) -> dict | None:
    """The clinician's index at an RA or IBD visit (DAS28-CRP at Northbridge, -ESR elsewhere)."""
    a = course.activity(ctx, t)
    jitter = [ctx.rng.random() for _ in range(6)]
    condition = ctx.objects["team_condition"].get(patient.care_team_id)
    if condition == Condition.RA:
        tender = round(a * 14 * (0.6 + 0.8 * jitter[0]))
        swollen = round(a * 9 * (0.6 + 0.8 * jitter[1]))
        global_health = round(max(0, min(100, 10 + 70 * a + 20 * (jitter[2] - 0.5))))
        if patient.care_team.site.slug == "north":
            crp = round(math.exp(math.log(1 + 40 * a) + 0.6 * (jitter[3] - 0.5)), 1)
            das = {"tjc28": tender, "sjc28": swollen, "crp_mg_l": crp, "gh": global_health}
            return {"das28-crp": das}
        esr = round(max(2, 6 + 60 * a + 16 * (jitter[3] - 0.5)))
        return {"das28-esr": {"tjc28": tender, "sjc28": swollen, "esr": esr, "gh": global_health}}
    if condition != Condition.IBD:
        return None
    flaring = a > 0.4
    if course.crohns:
        values: dict[str, Any] = {
            "wellbeing": str(min(4, round(a * 3 + jitter[0]))),
            "abdominal_pain": str(min(3, round(a * 2.5 + jitter[1] - 0.3))),
            "liquid_stools": round(a * 6 * jitter[2] + (2 if flaring else 0)),
            "abdominal_mass": "1" if flaring and jitter[3] < 0.3 else "0",
        }
        for n, name in enumerate(("arthralgia", "aphthous_ulcers")):
            values[name] = flaring and jitter[4 + n] < 0.3
        for name in (
            "uveitis",
            "erythema_nodosum",
            "pyoderma_gangrenosum",
            "anal_fissure",
            "new_fistula",
            "abscess",
        ):
            values[name] = False
        return {"hbi": values}
    level = min(3, int(a * 2.4))
    return {
        "pucai": {
            "abdominal_pain": ["none", "none", "ignorable", "not-ignorable"][level],
            "rectal_bleeding": ["none", "none", "small-few", "small-most"][level],
            "stool_consistency": ["formed", "partially-formed", "partially-formed", "unformed"][
                level
            ],
            "stools_per_24h": ["0-2", "3-5", "3-5", "6-8"][level],
            "nocturnal_stools": "yes" if level >= 2 and jitter[0] < 0.5 else "no",
            "activity_level": "occasional" if level >= 2 else "none",
        }
    }


def _taper_history(ctx: DemoContext) -> None:
    """Taper plans started 6 to 22 months ago for the pain patients enrolled earliest."""
    clinician = User.objects.get(username="clinician")
    named = ctx.objects["named"]["patient"]
    recent = [
        p
        for p in ctx.objects["patients"]
        if p.registry_id.startswith("CP-DEMO")
        and p.care_team_id == named.care_team_id
        and p.pk != named.pk
        and p.conditions.filter(condition=Condition.CHRONIC_PAIN).exists()
    ][:3]  # careplans.demo's recent plans
    skip = {named.pk, *(p.pk for p in recent)}
    enrollments = (
        Enrollment.objects.filter(program__slug="opioid-taper")
        .exclude(patient_id__in=skip)
        .select_related("patient__care_team__site")
        .order_by("started_on", "patient__registry_id")
    )
    for enrollment in list(enrollments)[:TAPER_PATIENTS]:
        patient = enrollment.patient
        earliest = (ctx.today - enrollment.started_on).days - 21
        days_ago = max(26 * 7, earliest - ctx.rng.randint(0, 90))
        tablet = ctx.rng.choice([10, 15, 20, 30])
        share, pause = ctx.rng.uniform(0.55, 1.0), ctx.rng.random() < 0.2
        if TaperPlan.objects.filter(patient=patient).exists():
            continue
        plan, med = careplans_demo._start(ctx, patient, clinician, days_ago, tablet)
        due = plan.steps.filter(due_on__lte=ctx.today).count()
        careplans_demo._take_steps(plan, med, clinician, ctx.today, max(1, round(due * share)))
        if pause:
            plan.status = PlanStatus.PAUSED
            plan.save(update_fields=["status"])
        ctx.count("past taper plans", True)


def _annotation(ctx: DemoContext) -> None:
    author = User.objects.get(username="qi")
    _, created = PdsaAnnotation.objects.get_or_create(
        measure_id="checkin-completion",
        site=None,
        title=REMINDER_CHANGE_TITLE,
        defaults={
            "on": reminder_change_on(ctx.today),
            "note": "Reminders by text message carry a link that opens the check-in without "
            "logging in. Tested at Riverside for two weeks, then spread to every site.",
            "new_phase": True,
            "author": author,
        },
    )
    ctx.count("PDSA annotations", created)
