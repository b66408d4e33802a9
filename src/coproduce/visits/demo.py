"""Demo appointments: two years of past visits, and this week's for a third of patients.

`patient` always has one tomorrow; the named demo people have no past visits. Past visits
are written with bulk_create; a patient with any visit before this week has their history.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coproduce.demo import DemoContext
from coproduce.people.models import CareTeamMembership, Condition, Patient, Role, User
from coproduce.visits.models import Appointment, AppointmentStatus

#: Days between visits (mean, spread) by condition: taper follow-ups are monthly.
CADENCE = {
    Condition.CHRONIC_PAIN: (30, 5),
    Condition.RA: (42, 8),
    Condition.IBD: (35, 7),
    Condition.CF: (42, 8),
}
HISTORY_DAYS = 2 * 365 + 30
BESIDE_MARIA = "Follow-up visit (pre-visit check-in answered)"


def seed(ctx: DemoContext) -> None:
    monday = ctx.today - dt.timedelta(days=ctx.today.weekday())
    named = ctx.objects["named"]
    for patient in ctx.objects["patients"]:
        # Draw every random value first, whatever happens next, so the stream is the same on
        # every run and seeding twice creates nothing twice.
        chosen = ctx.rng.random() <= 0.35
        weekday, hour = ctx.rng.randint(0, 4), ctx.rng.randint(8, 15)
        minute = ctx.rng.choice([0, 15, 30, 45])
        if not (chosen or patient in named.values()):
            continue
        team = patient.care_team
        zone = ZoneInfo(team.site.time_zone)
        day = (
            ctx.today + dt.timedelta(days=1)
            if patient == named["patient"]
            else (monday + dt.timedelta(days=weekday))
        )
        if Appointment.objects.filter(
            patient=patient, starts_at__gte=dt.datetime.combine(monday, dt.time(), tzinfo=zone)
        ).exists():
            continue
        clinician = (
            CareTeamMembership.objects.filter(care_team=team, user__role=Role.CLINICIAN)
            .select_related("user")
            .first()
        )
        _, created = Appointment.objects.get_or_create(
            patient=patient,
            starts_at=dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone),
            defaults={
                "care_team": team,
                "clinician": clinician.user if clinician else None,
                "reason": "Follow-up visit",
            },
        )
        ctx.count("appointments", created)
    _beside_maria(ctx, monday)
    _history(ctx, monday)


def _beside_maria(ctx: DemoContext, monday: dt.date) -> None:
    """One more visit of Maria's team on her day (tomorrow), whatever today's weekday: the
    clinician's day list then shows one patient who has answered the pre-visit check-in
    (the check-ins seeder answers this one) beside Maria, who has not yet."""
    maria = ctx.objects["named"]["patient"]
    named = set(ctx.objects["named"].values())
    zone = ZoneInfo(maria.care_team.site.time_zone)
    week_start = dt.datetime.combine(monday, dt.time(), tzinfo=zone)
    companion = next(
        (
            p
            for p in ctx.objects["patients"]
            if p.care_team_id == maria.care_team_id
            and p not in named
            and not Appointment.objects.filter(patient=p, starts_at__gte=week_start)
            .exclude(reason=BESIDE_MARIA)
            .exists()
        ),
        None,
    )
    if companion is None:
        return
    day = ctx.today + dt.timedelta(days=1)
    clinician = _clinicians().get(maria.care_team_id)
    appointment, created = Appointment.objects.get_or_create(
        patient=companion,
        starts_at=dt.datetime(day.year, day.month, day.day, 14, 30, tzinfo=zone),
        defaults={"care_team": maria.care_team, "clinician": clinician, "reason": BESIDE_MARIA},
    )
    ctx.objects["previsit_answered"] = {appointment.pk}
    ctx.count("appointments", created)


def _clinicians() -> dict[int, User]:
    rows = CareTeamMembership.objects.filter(user__role=Role.CLINICIAN).select_related("user")
    out: dict[int, User] = {}
    for m in rows.order_by("pk"):
        out.setdefault(m.care_team_id, m.user)
    return out


def _history(ctx: DemoContext, monday: dt.date) -> None:
    """Past visits up to last week: mostly attended, a few missed or cancelled."""
    has_history = set(
        Appointment.objects.filter(starts_at__lt=_midnight(monday, "UTC")).values_list(
            "patient_id", flat=True
        )
    )
    clinicians = _clinicians()
    # The named demo people keep the short, curated story their pages tell.
    named = {p.pk for p in ctx.objects["named"].values() if isinstance(p, Patient)}
    rows: list[Appointment] = []
    for patient in ctx.objects["patients"]:
        # Drawn for every patient on every run: the stream stays the same.
        visits = _visit_times(ctx, patient, monday)
        if patient.pk in has_history or patient.pk in named:
            continue
        for starts_at, status in visits:
            rows.append(
                Appointment(
                    patient=patient,
                    care_team=patient.care_team,
                    clinician=clinicians.get(patient.care_team_id),
                    starts_at=starts_at,
                    minutes=20,
                    reason="Follow-up visit",
                    status=status,
                )
            )
    Appointment.objects.bulk_create(rows, batch_size=500)
    for _ in rows:
        ctx.count("past appointments", True)


def _midnight(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))


def _visit_times(
    ctx: DemoContext, patient: Patient, monday: dt.date
) -> list[tuple[dt.datetime, str]]:
    condition = ctx.objects["team_condition"].get(patient.care_team_id, Condition.CHRONIC_PAIN)
    mean, spread = CADENCE.get(condition, (42, 8))
    zone = ZoneInfo(patient.care_team.site.time_zone)
    day = monday - dt.timedelta(days=HISTORY_DAYS - ctx.rng.randint(0, mean))
    out = []
    while True:
        while day.weekday() > 4:  # clinics see patients on weekdays
            day += dt.timedelta(days=1)
        if day >= monday - dt.timedelta(days=1):
            break
        hour, minute = ctx.rng.randint(8, 15), ctx.rng.choice([0, 20, 40])
        roll = ctx.rng.random()
        status: str = (
            AppointmentStatus.ATTENDED
            if roll < 0.9
            else AppointmentStatus.MISSED
            if roll < 0.95
            else AppointmentStatus.CANCELLED
        )
        out.append((dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone), status))
        day += dt.timedelta(days=round(ctx.rng.gauss(mean, spread)))
    return out
