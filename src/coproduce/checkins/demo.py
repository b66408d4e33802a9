"""Demo programs, schedules, enrollments and one to two years of check-in history.

History is made with bulk_create (invitations, completed or expired, and the responses and
scores of the completed ones, scored through the instrument library) so that seeding stays
fast; it is keyed by idempotency keys, so seeding twice creates nothing twice. Fewer
check-ins expire after the reminder change the registry's completion chart is annotated
with. Maria (`patient`) and Lucía (`paciente`, in Spanish) always have a check-in due now.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

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
from coproduce.instruments.library import available_in
from coproduce.instruments.scoring import score
from coproduce.people.models import Condition, Patient
from coproduce.platform import clock

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
# The programs' names in the demo's other languages (a clinic enters its own in the admin).
PROGRAM_NAMES = {
    "opioid-taper": {"es": "Reducción gradual de opioides", "sv": "Nedtrappning av opioider"},
    "ra-registry": {
        "es": "Registro de artritis reumatoide",
        "sv": "Registret för reumatoid artrit",
    },
    "ibd": {"es": "Enfermedad inflamatoria intestinal", "sv": "Inflammatorisk tarmsjukdom"},
    "cf": {"es": "Fibrosis quística", "sv": "Cystisk fibros"},
}

# program slug -> (name, kind, instruments, extra fields)
SCHEDULES: dict[str, list[tuple[str, str, list[str], dict]]] = {
    "opioid-taper": [
        (
            "Weekly check-in",
            ScheduleKind.WEEKLY,
            ["peg", "taper-weekly", "withdrawal-nrs"],
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

#: Text-message reminders with a one-tap link started network-wide this many months ago;
#: the registry's completion chart carries it as a PDSA annotation (registry.demo).
REMINDER_CHANGE_MONTHS_AGO = 9
REMINDER_CHANGE_TITLE = "Text-message reminders with a one-tap link"
#: Share of check-ins left to expire per site, before and after that change.
MISSED = {"north": (0.22, 0.10), "riverside": (0.30, 0.15), "harbour": (0.26, 0.12)}
#: Share of a month's PHQ-9s with item 9 above 0 (each raises an urgent alert; see
#: safetynet.demo), and the fewest in a month with at least ITEM9_POOL PHQ-9s.
ITEM9_SHARE, ITEM9_MIN, ITEM9_POOL = 0.1, 5, 15


def reminder_change_on(today: dt.date) -> dt.date:
    """Return the first day of the month the reminder change started."""
    first = today.replace(day=1)
    for _ in range(REMINDER_CHANGE_MONTHS_AGO):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


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


def _answers(
    ctx: DemoContext, instrument: str, level: float, item9: int = 0, spread: float = 1.0
) -> dict:
    r = round
    gauss = lambda sd: ctx.rng.gauss(0, sd * spread)  # noqa: E731
    clip = lambda v, hi: max(0, min(hi, v))  # noqa: E731
    if instrument == "peg":
        return {k: clip(r(level + gauss(0.8)), 10) for k in ("peg-1", "peg-2", "peg-3")}
    if instrument == "pain-nrs":
        return {"pain-nrs": clip(r(level), 10)}
    if instrument == "taper-weekly":
        comfort = clip(r(10 - level + gauss(1)), 10)
        return {
            "taper-comfort": comfort,
            "taper-satisfaction": SATISFACTION[clip(r(comfort / 2.5), 4)],
        }
    if instrument in ("phq9", "gad7"):
        n = 9 if instrument == "phq9" else 7
        mood = level / 10 * 2.4
        out = {
            f"{instrument}-{i}": PHQ_CODES[clip(r(mood + gauss(0.6)), 3)] for i in range(1, n + 1)
        }
        if instrument == "phq9":
            out["phq9-9"] = PHQ_CODES[item9]
        return out
    if instrument == "collaborate":
        return {f"collaborate-{i}": clip(r(7 + gauss(1.5)), 9) for i in (1, 2, 3)}
    if instrument == "previsit":
        return {
            "previsit-concern": ctx.rng.choice(["Morning stiffness", "My medicines", "Fatigue"])
        }
    return {}


def _history_dates(
    enrollment: Enrollment, program: str, today: dt.date
) -> list[tuple[dt.date, str, list[str]]]:
    """(due day, schedule name, instruments) of every past check-in of one enrollment."""
    start = enrollment.started_on
    out = []
    if program == "opioid-taper":
        day = start + dt.timedelta(days=(7 - start.weekday()) % 7)
        while day < today:
            instruments = ["peg", "taper-weekly"] + (["phq9"] if day.day <= 7 else [])
            out.append((day, "Weekly check-in", instruments))
            day += dt.timedelta(days=7)
        return out
    for rows in SCHEDULES[program]:
        name, kind, instruments, extra = rows
        if kind != ScheduleKind.MONTHLY:
            continue
        day = start.replace(day=extra["day_of_month"])
        while day < today:
            if day >= start:
                out.append((day, name, [i for i in instruments if i != "previsit"]))
            day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=extra["day_of_month"])
    return out


@dataclass
class _Planned:
    """One past check-in of one patient, before its answers are drawn."""

    patient: Patient
    schedule: Schedule
    day: dt.date
    instruments: list[str]
    level: float
    due_at: dt.datetime
    submitted_at: dt.datetime | None  # None: missed (left to expire)
    item9: int = 0
    calm: bool = False  # little item-to-item noise (Maria)


def _plan_history(ctx: DemoContext, enrollments: list[Enrollment]) -> list[_Planned]:
    done = set(
        CheckinResponse.objects.filter(idempotency_key__startswith="demo:")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    schedules = {(s.program_id, s.name): s for s in Schedule.objects.all()}
    change_on = reminder_change_on(ctx.today)
    now = clock.now()
    maria = ctx.objects.get("named", {}).get("patient")
    planned: list[_Planned] = []
    for enrollment in enrollments:
        patient = enrollment.patient
        if patient.pk in done:
            continue
        shape = ctx.rng.choice(TRAJECTORIES)
        # Maria's dashboard is the demo's walk-through: a calm, slowly easing history tells
        # the same story (one printed page) on any day the demo is seeded.
        calm = patient == maria
        base = ctx.rng.uniform(4, 7.5)
        flares = sorted(ctx.rng.uniform(0.15, 0.9) for _ in range(ctx.rng.randint(1, 3)))
        dates = _history_dates(enrollment, enrollment.program.slug, ctx.today)
        site = patient.care_team.site
        before, after = MISSED.get(site.slug, (0.25, 0.12))
        for n, (day, name, instruments) in enumerate(dates):
            schedule = schedules[(enrollment.program_id, name)]
            missed = ctx.rng.random() < (before if day < change_on else after)
            t = n / max(len(dates) - 1, 1)
            level = 4 - t + ctx.rng.gauss(0, 0.2) if calm else _level(ctx, shape, t, base, flares)
            due = dt.datetime.combine(day, dt.time(9), tzinfo=site.zone)
            # Most answer the same day; some after the first reminder, two days later.
            if ctx.rng.random() < 0.75:
                delay = dt.timedelta(minutes=ctx.rng.randint(5, 11 * 60))
            else:
                delay = dt.timedelta(days=2, minutes=ctx.rng.randint(5, 11 * 60))
            submitted = None if missed or due + delay > now else due + delay
            planned.append(
                _Planned(patient, schedule, day, instruments, level, due, submitted, calm=calm)
            )
    _choose_item9(ctx, planned)
    return planned


def _choose_item9(ctx: DemoContext, planned: list[_Planned]) -> None:
    """Mark some of each month's answered PHQ-9s with item 9 above 0 (weighted to low mood).

    About ITEM9_SHARE of them, and at least ITEM9_MIN once the month has ITEM9_POOL to choose
    from, so the urgent-alert measure has a chart. Never a patient's latest check-in (the
    demo's current alerts come from those) nor the named demo patients'.
    """
    latest: dict[int, dt.datetime] = {}
    for p in planned:
        if p.submitted_at is not None:
            latest[p.patient.pk] = max(p.submitted_at, latest.get(p.patient.pk, p.submitted_at))
    by_month: dict[dt.date, list[_Planned]] = {}
    for p in planned:
        if (
            p.submitted_at is not None
            and "phq9" in p.instruments
            and p.submitted_at != latest[p.patient.pk]
            and not p.patient.registry_id.startswith(("CP-DEMOPAT", "CP-DEMOTEEN", "CP-DEMOKID"))
        ):
            by_month.setdefault(p.day.replace(day=1), []).append(p)
    for month in sorted(by_month):
        pool = by_month[month]
        share = round(ITEM9_SHARE * len(pool))
        wanted = (max(ITEM9_MIN, share) if len(pool) >= ITEM9_POOL else share) + ctx.rng.randint(
            0, 2
        )
        for p in _weighted_sample(ctx, pool, wanted):
            p.item9 = 1 if ctx.rng.random() < 0.7 else 2


def _weighted_sample(ctx: DemoContext, pool: list[_Planned], k: int) -> list[_Planned]:
    keyed = sorted(pool, key=lambda p: ctx.rng.random() ** (1 / (1 + p.level)), reverse=True)
    return keyed[:k]


def _history(ctx: DemoContext, enrollments: list[Enrollment]) -> None:
    planned = _plan_history(ctx, enrollments)
    now = clock.now()
    invitations: list[Invitation] = []
    responses: list[CheckinResponse] = []
    pending_scores: list[tuple[int, list]] = []
    for p in planned:
        schedule = p.schedule
        expires = p.due_at + dt.timedelta(days=schedule.expires_after_days)
        if p.submitted_at is None and expires > now:
            continue  # still open: not history yet
        answered = p.submitted_at is not None
        invitations.append(
            Invitation(
                patient=p.patient,
                schedule=schedule,
                instruments=p.instruments,
                due_at=p.due_at,
                expires_at=expires,
                reminder_days=list(schedule.reminder_days),
                reminders_sent=len(schedule.reminder_days) if not answered else 0,
                status=InvitationStatus.COMPLETED if answered else InvitationStatus.EXPIRED,
                screening=schedule.screening,
                sent_at=p.due_at,
                completed_at=p.submitted_at,
                created_at=p.due_at - dt.timedelta(days=7),
            )
        )
        if p.submitted_at is None:
            continue
        spread = 0.3 if p.calm else 1.0
        answers = {i: _answers(ctx, i, p.level, p.item9, spread) for i in p.instruments}
        results = [score(i, None, answers[i]) for i in p.instruments]
        responses.append(
            CheckinResponse(
                patient=p.patient,
                invitation=invitations[-1],
                source="demo",
                answers=answers,
                versions={r.instrument_id: r.version for r in results},
                free_text="Flare this week, hard to sleep."
                if p.level > 8.5 and ctx.rng.random() < 0.3
                else "",
                idempotency_key=f"demo:{p.patient.registry_id}:{p.day.isoformat()}",
                submitted_at=p.submitted_at,
            )
        )
        pending_scores.append((len(responses) - 1, results))
    Invitation.objects.bulk_create(invitations, batch_size=500)
    CheckinResponse.objects.bulk_create(responses, batch_size=500)
    Score.objects.bulk_create(
        [Score.from_result(responses[i], r) for i, results in pending_scores for r in results],
        batch_size=1000,
    )
    for _ in invitations:
        ctx.count("invitations", True)
    for _ in responses:
        ctx.count("check-in responses", True)


def _due_now_for(patient: Patient, instruments: list[str]) -> None:
    """Give `patient` an open check-in due now of those of `instruments` that can be asked
    in her language (never an English question to a patient who reads Spanish)."""
    instruments = [i for i in instruments if available_in(i, patient.preferred_language)]
    now = clock.now()
    if not instruments:
        return
    if Invitation.objects.filter(
        patient=patient,
        status__in=OPEN_STATUSES,
        due_at__lte=now,
        expires_at__gt=now,
        appointment__isnull=True,  # her pre-visit check-in is another one
    ).exists():
        return
    Invitation.objects.create(
        patient=patient,
        instruments=instruments,
        due_at=now - dt.timedelta(minutes=5),
        expires_at=now + dt.timedelta(days=6),
        reminder_days=[2, 4],
        status=InvitationStatus.SCHEDULED,
    )


def patient_checkin_link() -> str | None:
    """Return a fresh link to Maria's (CP-DEMOPAT1) open check-in, for the demo's output."""
    from coproduce.checkins.tokens import issue_token, link_for

    now = clock.now()
    invitation = Invitation.objects.filter(
        patient__registry_id="CP-DEMOPAT1",
        status__in=OPEN_STATUSES,
        due_at__lte=now,
        expires_at__gt=now,
        appointment__isnull=True,
    ).first()
    return link_for(issue_token(invitation, purpose="portal")) if invitation else None


def seed(ctx: DemoContext) -> None:
    programs: dict[str, Program] = {}
    by_condition: dict[str, Program] = {}
    for slug, name, condition, description in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "names": PROGRAM_NAMES[slug],
                "condition": condition,
                "description": description,
            },
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
    now = clock.now()
    for enrollment in enrollments:
        sync_patient(enrollment.patient, now=now)
    _previsit_week(ctx, now)
    named = ctx.objects.get("named", {}).get("patient")
    if named is not None:
        _due_now_for(named, ["peg", "taper-weekly", "phq9"])
    _language_patients(ctx, by_condition)


#: Share of this week's pre-visit check-ins already due that the demo has answered, and of
#: the answers that say how the patient likes to partner.
PREVISIT_ANSWERED, PREVISIT_PARTNER = 0.55, 0.6
PREVISIT_CONCERNS = [
    "Sleeping through the night again",
    "Walking the dog without stopping",
    "Whether I can lower my dose",
    "Morning stiffness before work",
    "Being tired every afternoon",
    "Getting back to swimming",
    "no-concern",
]
PREVISIT_TOPICS = ["pain", "medicines", "mood", "sleep", "daily-life", "tests", "goals"]
PREVISIT_PARTNERS = ["together", "together", "clinician-leads", "i-lead"]
PREVISIT_NOTES = ["Please show me my charts", "I like to think it over at home", ""]


def _previsit_week(ctx: DemoContext, now: dt.datetime) -> None:
    """A pre-visit check-in for every visit this week; about half answered (not Maria's:
    her link is in her inbox, and the demo's walk-through answers it)."""
    from coproduce.checkins import previsit
    from coproduce.visits.models import Appointment, AppointmentStatus

    monday = ctx.today - dt.timedelta(days=ctx.today.weekday())
    start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC) - dt.timedelta(days=1)
    maria = ctx.objects.get("named", {}).get("patient")
    week = (
        Appointment.objects.filter(
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=11),
            status=AppointmentStatus.BOOKED,
        )
        .select_related("patient__care_team__site", "care_team__site")
        .order_by("starts_at", "pk")
    )
    for appointment in week:
        zone = appointment.care_team.site.zone
        day = appointment.starts_at.astimezone(zone).date()
        this_week = monday <= day < monday + dt.timedelta(days=7)
        if not (this_week or (appointment.starts_at > now and day <= ctx.today + dt.timedelta(2))):
            continue
        patient = appointment.patient
        # Every draw comes from the appointment's own stream: a second run, which skips what
        # exists, draws the same for every other appointment.
        rng = random.Random(f"previsit:{patient.registry_id}:{day.isoformat()}")
        answered = rng.random() < PREVISIT_ANSWERED and patient != maria
        # The visit beside Maria's (visits/demo.py) is always answered: the day list shows both.
        answered = answered or appointment.pk in ctx.objects.get("previsit_answered", ())
        with_partner = rng.random() < PREVISIT_PARTNER
        concern = rng.choice(PREVISIT_CONCERNS)
        topics = rng.sample(PREVISIT_TOPICS, k=rng.randint(0, 2))
        partner, note = rng.choice(PREVISIT_PARTNERS), rng.choice(PREVISIT_NOTES)
        share, level = rng.uniform(0.1, 0.9), rng.uniform(2, 7)
        if appointment.starts_at > now:
            previsit.sync(appointment, now=now)
        invitation = previsit.invitation_of(appointment)
        if invitation is not None and invitation.status not in OPEN_STATUSES:
            continue  # answered, expired or cancelled already
        days = previsit.days_before(appointment.care_team.site_id)
        planned = dt.datetime.combine(day - dt.timedelta(days=days), previsit.DUE_AT, tzinfo=zone)
        if invitation is None:  # a visit earlier this week
            instruments = previsit.asks(patient)[0]
            invitation = Invitation.objects.create(
                patient=patient,
                appointment=appointment,
                instruments=instruments,
                due_at=planned,
                expires_at=appointment.starts_at,
                reminder_days=list(previsit.DEFAULT_REMINDER_DAYS),
            )
        until = min(now, appointment.starts_at)
        if planned >= until:
            continue  # not due yet: the worker sends it on the day
        if not answered:
            if appointment.starts_at <= now:
                invitation.status = InvitationStatus.EXPIRED
                invitation.save(update_fields=["status"])
            continue
        submitted = planned + (until - planned) * share
        answers: dict[str, dict] = {}
        for instrument in invitation.instruments:
            if instrument == previsit.PREVISIT:
                block: dict = {"previsit-concern": concern}
                if topics:
                    block["previsit-topics"] = topics
                if with_partner:
                    block["previsit-partner"] = partner
                answers[instrument] = block
            else:
                own = DemoContext(today=ctx.today, rng=rng)
                answers[instrument] = _answers(own, instrument, level)
        results = [score(i, None, answers[i]) for i in invitation.instruments]
        response, created = CheckinResponse.objects.get_or_create(
            idempotency_key=f"demo:previsit:{patient.registry_id}:{day.isoformat()}",
            defaults={
                "patient": patient,
                "invitation": invitation,
                "source": "demo",
                "answers": answers,
                # More about partnering goes in the check-in's one free-text box.
                "free_text": note if with_partner else "",
                "versions": {r.instrument_id: r.version for r in results},
                "submitted_at": submitted,
            },
        )
        if created:
            Score.objects.bulk_create([Score.from_result(response, r) for r in results])
        invitation.due_at, invitation.sent_at = planned, planned
        invitation.status, invitation.completed_at = InvitationStatus.COMPLETED, submitted
        invitation.next_reminder_at = None
        invitation.save()
        ctx.count("pre-visit check-ins answered", created)


def _language_patients(ctx: DemoContext, by_condition: dict[str, Program]) -> None:
    """A year of history for `paciente` and `patient_sv`, from a random stream of their own
    (the rest of the demo draws the same numbers as before they existed). Their schedules
    then plan only what has an official text in their language (see the patient page)."""
    patients = ctx.objects.get("language_patients") or []
    enrollments = []
    for patient in patients:
        condition = patient.conditions.values_list("condition", flat=True).first()
        enrollment, created = Enrollment.objects.get_or_create(
            patient=patient,
            program=by_condition[condition],
            defaults={"started_on": ctx.today - dt.timedelta(days=365)},
        )
        ctx.count("enrollments", created)
        enrollments.append(enrollment)
    rng, ctx.rng = ctx.rng, random.Random("20261124:language-patients")
    try:
        _history(ctx, enrollments)
    finally:
        ctx.rng = rng
    for enrollment in enrollments:
        sync_patient(enrollment.patient, now=clock.now())
        # Lucía always has her weekly check-in to answer, whatever the day: what of the
        # taper's weekly questions has a text in Spanish (our own; the PEG has no official one).
        if enrollment.program.slug == "opioid-taper":
            _due_now_for(enrollment.patient, SCHEDULES["opioid-taper"][0][2])
