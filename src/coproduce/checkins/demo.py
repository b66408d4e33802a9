"""Demo programs, schedules, enrollments and one to two years of check-in history.

History is made with bulk_create (responses and scores, scored through the instrument
library) so that seeding stays fast; it is keyed by idempotency keys, so seeding twice
creates nothing twice. Maria (`patient`) always has a check-in due now.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone

from coproduce.checkins.models import (
    OPEN_STATUSES,
    CheckinResponse,
    Enrollment,
    Invitation,
    InvitationStatus,
    Program,
    Schedule,
    ScheduleKind,
    Score,
)
from coproduce.checkins.scheduling import sync_patient
from coproduce.demo import DemoContext
from coproduce.instruments.scoring import score
from coproduce.people.models import Condition, Patient

PROGRAMS = [
    (
        "opioid-taper",
        "Opioid taper",
        Condition.CHRONIC_PAIN,
        "Weekly check-ins while tapering opioids at your own pace.",
    ),
    ("ra-registry", "RA registry", Condition.RA, "Pre-visit check-ins for rheumatoid arthritis."),
    ("ibd", "IBD", Condition.IBD, "Check-ins for inflammatory bowel disease."),
    ("cf", "CF", Condition.CF, "Check-ins for cystic fibrosis."),
]

# program slug -> (name, kind, instruments, extra fields)
SCHEDULES: dict[str, list[tuple[str, str, list[str], dict]]] = {
    "opioid-taper": [
        (
            "Weekly check-in",
            ScheduleKind.WEEKLY,
            ["peg", "taper-weekly"],
            {"weekday": 0, "reminder_days": [2, 4], "expires_after_days": 6},
        ),
        (
            "Monthly mood check",
            ScheduleKind.MONTHLY,
            ["phq9"],
            {"day_of_month": 1, "reminder_days": [3], "expires_after_days": 10},
        ),
    ],
    "ra-registry": [
        (
            "Before your visit",
            ScheduleKind.PREVISIT,
            ["previsit", "pain-nrs"],
            {"days_before": 3, "reminder_days": [1], "expires_after_days": 3},
        ),
        (
            "Monthly check-in",
            ScheduleKind.MONTHLY,
            ["pain-nrs", "phq9"],
            {"day_of_month": 5, "reminder_days": [3], "expires_after_days": 10, "screening": True},
        ),
        (
            "After your visit",
            ScheduleKind.POSTVISIT,
            ["collaborate"],
            {"hours_after": 2, "reminder_days": [2], "expires_after_days": 5},
        ),
    ],
    "ibd": [
        (
            "Monthly check-in",
            ScheduleKind.MONTHLY,
            ["pain-nrs", "phq9"],
            {"day_of_month": 10, "reminder_days": [3], "expires_after_days": 10, "screening": True},
        ),
    ],
    "cf": [
        (
            "Monthly check-in",
            ScheduleKind.MONTHLY,
            ["phq9", "gad7"],
            {"day_of_month": 15, "reminder_days": [3], "expires_after_days": 10, "screening": True},
        ),
    ],
}

PHQ_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # weights 0-3
SATISFACTION = ["very-dissatisfied", "dissatisfied", "neutral", "satisfied", "very-satisfied"]
TRAJECTORIES = ("improving", "worsening", "flaring", "steady")


def _schedules(programs: dict[str, Program]) -> None:
    for slug, rows in SCHEDULES.items():
        for name, kind, instruments, extra in rows:
            Schedule.objects.get_or_create(
                program=programs[slug],
                name=name,
                defaults={"kind": kind, "instruments": instruments, **extra},
            )


def _level(ctx: DemoContext, shape: str, t: float, base: float, flares: list[float]) -> float:
    """A 0-10 symptom level at fraction t (0..1) of the history for one trajectory shape."""
    if shape == "improving":
        value = base - 3.5 * t
    elif shape == "worsening":
        value = base - 1 + 3 * t
    else:
        value = base - 0.5 * t
    for at in flares if shape == "flaring" else flares[:1]:
        value += 3.5 * math.exp(-(((t - at) * 18) ** 2))
    return max(0.0, min(10.0, value + ctx.rng.gauss(0, 0.7)))


def _answers(ctx: DemoContext, instrument: str, level: float) -> dict:
    r = round
    clip = lambda v, hi: max(0, min(hi, v))  # noqa: E731
    if instrument == "peg":
        return {k: clip(r(level + ctx.rng.gauss(0, 0.8)), 10) for k in ("peg-1", "peg-2", "peg-3")}
    if instrument == "pain-nrs":
        return {"pain-nrs": clip(r(level), 10)}
    if instrument == "taper-weekly":
        comfort = clip(r(10 - level + ctx.rng.gauss(0, 1)), 10)
        return {
            "taper-comfort": comfort,
            "taper-satisfaction": SATISFACTION[clip(r(comfort / 2.5), 4)],
        }
    if instrument in ("phq9", "gad7"):
        n = 9 if instrument == "phq9" else 7
        mood = level / 10 * 2.4
        out = {
            f"{instrument}-{i}": PHQ_CODES[clip(r(mood + ctx.rng.gauss(0, 0.6)), 3)]
            for i in range(1, n + 1)
        }
        if instrument == "phq9":
            out["phq9-9"] = PHQ_CODES[0]  # history carries no open suicidality flag
        return out
    if instrument == "collaborate":
        return {f"collaborate-{i}": clip(r(7 + ctx.rng.gauss(0, 1.5)), 9) for i in (1, 2, 3)}
    if instrument == "previsit":
        return {
            "previsit-concern": ctx.rng.choice(["Morning stiffness", "My medicines", "Fatigue"])
        }
    return {}


def _history_dates(
    enrollment: Enrollment, program: str, today: dt.date
) -> list[tuple[dt.date, list[str]]]:
    start = enrollment.started_on
    out = []
    if program == "opioid-taper":
        day = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        while day < today:
            instruments = ["peg", "taper-weekly"] + (["phq9"] if day.day <= 7 else [])
            out.append((day, instruments))
            day += dt.timedelta(days=7)
        return out
    for rows in SCHEDULES[program]:
        _name, kind, instruments, extra = rows
        if kind != ScheduleKind.MONTHLY:
            continue
        day = start.replace(day=extra["day_of_month"])
        while day < today:
            if day >= start:
                out.append((day, [i for i in instruments if i != "previsit"]))
            day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=extra["day_of_month"])
    return out


def _history(ctx: DemoContext, enrollments: list[Enrollment]) -> None:
    done = set(
        CheckinResponse.objects.filter(idempotency_key__startswith="demo:")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    responses: list[CheckinResponse] = []
    pending_scores: list[tuple[int, list]] = []
    for enrollment in enrollments:
        patient = enrollment.patient
        if patient.pk in done:
            continue
        shape = ctx.rng.choice(TRAJECTORIES)
        base = ctx.rng.uniform(4, 7.5)
        flares = sorted(ctx.rng.uniform(0.15, 0.9) for _ in range(ctx.rng.randint(1, 3)))
        dates = _history_dates(enrollment, enrollment.program.slug, ctx.today)
        zone = patient.care_team.site.zone
        for n, (day, instruments) in enumerate(dates):
            if ctx.rng.random() < 0.12:  # a missed week now and then, as in real life
                continue
            level = _level(ctx, shape, n / max(len(dates) - 1, 1), base, flares)
            answers = {i: _answers(ctx, i, level) for i in instruments}
            at = dt.datetime.combine(
                day, dt.time(ctx.rng.randint(8, 20), ctx.rng.randint(0, 59)), tzinfo=zone
            )
            results = [score(i, None, answers[i]) for i in instruments]
            responses.append(
                CheckinResponse(
                    patient=patient,
                    source="demo",
                    answers=answers,
                    versions={r.instrument_id: r.version for r in results},
                    free_text="Flare this week, hard to sleep."
                    if level > 8.5 and ctx.rng.random() < 0.3
                    else "",
                    idempotency_key=f"demo:{patient.registry_id}:{day.isoformat()}",
                    submitted_at=at,
                )
            )
            pending_scores.append((len(responses) - 1, results))
    CheckinResponse.objects.bulk_create(responses, batch_size=500)
    scores = [
        Score(
            response=responses[i],
            patient=responses[i].patient,
            instrument_id=r.instrument_id,
            version=r.version,
            score=r.score,
            band=r.band or "",
            flags=list(r.flags),
            complete=r.complete,
            reason=(r.reason or "")[:200],
            derived=r.derived,
            item_values=r.item_values,
            at=responses[i].submitted_at,
        )
        for i, results in pending_scores
        for r in results
    ]
    Score.objects.bulk_create(scores, batch_size=1000)
    for _ in responses:
        ctx.count("check-in responses", True)


def _due_now_for(patient: Patient) -> None:
    """Give `patient` an open check-in due now (weekly taper questions plus the PHQ-9)."""
    now = timezone.now()
    if Invitation.objects.filter(
        patient=patient, status__in=OPEN_STATUSES, due_at__lte=now, expires_at__gt=now
    ).exists():
        return
    Invitation.objects.create(
        patient=patient,
        instruments=["peg", "taper-weekly", "phq9"],
        due_at=now - dt.timedelta(minutes=5),
        expires_at=now + dt.timedelta(days=6),
        reminder_days=[2, 4],
        status=InvitationStatus.SCHEDULED,
    )


def patient_checkin_link() -> str | None:
    """Return a fresh link to Maria's (CP-DEMOPAT1) open check-in, for the demo's output."""
    from coproduce.checkins.tokens import issue_token, link_for

    now = timezone.now()
    invitation = Invitation.objects.filter(
        patient__registry_id="CP-DEMOPAT1",
        status__in=OPEN_STATUSES,
        due_at__lte=now,
        expires_at__gt=now,
    ).first()
    return link_for(issue_token(invitation, purpose="portal")) if invitation else None


def seed(ctx: DemoContext) -> None:
    programs: dict[str, Program] = {}
    by_condition: dict[str, Program] = {}
    for slug, name, condition, description in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            slug=slug, defaults={"name": name, "condition": condition, "description": description}
        )
        programs[slug] = by_condition[condition] = program
    _schedules(programs)
    enrollments = []
    for patient in ctx.objects["patients"]:
        condition = patient.conditions.values_list("condition", flat=True).first()
        chosen = by_condition.get(condition or "")
        if chosen is None:
            continue
        # One or two years of history, depending on the patient.
        years = 2 if ctx.rng.random() < 0.4 else 1
        enrollment, created = Enrollment.objects.get_or_create(
            patient=patient,
            program=chosen,
            defaults={"started_on": ctx.today - dt.timedelta(days=365 * years)},
        )
        ctx.count("enrollments", created)
        enrollments.append(enrollment)
    _history(ctx, enrollments)
    now = timezone.now()
    for enrollment in enrollments:
        sync_patient(enrollment.patient, now=now)
    named = ctx.objects.get("named", {}).get("patient")
    if named is not None:
        _due_now_for(named)
