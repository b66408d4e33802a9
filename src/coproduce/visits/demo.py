"""Demo appointments: this week for about a third of patients, always for `patient`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coproduce.demo import DemoContext
from coproduce.people.models import CareTeamMembership, Role
from coproduce.visits.models import Appointment


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
