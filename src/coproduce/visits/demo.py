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
        is_named = patient in named.values()
        if not is_named and ctx.rng.random() > 0.35:
            continue
        team = patient.care_team
        zone = ZoneInfo(team.site.time_zone)
        day = (
            ctx.today + dt.timedelta(days=1)
            if patient == named["patient"]
            else (monday + dt.timedelta(days=ctx.rng.randint(0, 4)))
        )
        hour, minute = ctx.rng.randint(8, 15), ctx.rng.choice([0, 15, 30, 45])
        starts = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        clinician = (
            CareTeamMembership.objects.filter(care_team=team, user__role=Role.CLINICIAN)
            .select_related("user")
            .first()
        )
        _, created = Appointment.objects.get_or_create(
            patient=patient,
            starts_at=starts,
            defaults={
                "care_team": team,
                "clinician": clinician.user if clinician else None,
                "reason": "Follow-up visit",
            },
        )
        ctx.count("appointments", created)
