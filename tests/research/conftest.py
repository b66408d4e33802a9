"""A small trial on the World's team A site: three arms 1:1:1, consent documents in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from coproduce.checkins.models import Program, Schedule, ScheduleKind
from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.research.models import (
    Arm,
    ConfirmedCriterion,
    ConsentDocument,
    CriterionKind,
    Signer,
    Study,
    StudyStaff,
)
from tests import factories

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # a Monday


@dataclass
class Trial:
    study: Study
    care: Program
    pi: User
    stat: User
    cbt: Arm
    sm: Arm
    taper: Arm


def make_study(site, *, slug: str = "empower", care: Program | None = None, **fields) -> Study:
    assessments = Program.objects.create(slug=f"{slug}-assessments", name=f"{slug} assessments")
    Schedule.objects.create(
        program=assessments,
        name="Baseline",
        kind=ScheduleKind.AFTER_START,
        days_after_start=0,
        instruments=["peg"],
        ask_once_per_week=True,
    )
    Schedule.objects.create(
        program=assessments,
        name="Weekly pain",
        kind=ScheduleKind.WEEKLY,
        weekday=3,
        instruments=["peg"],
        ask_once_per_week=True,
    )
    study = Study.objects.create(
        slug=slug,
        title="EMPOWER",
        protocol_version="3.1",
        condition="chronic_pain",
        care_program=care,
        min_age=fields.pop("min_age", 18),
        assessments=assessments,
        block_multipliers=fields.pop("block_multipliers", [1, 2]),
        **fields,
    )
    study.sites.add(site)
    for code, name, sessions in (
        ("cbt", "CBT", 8),
        ("sm", "Self-management", 6),
        ("taper", "Taper only", 0),
    ):
        Arm.objects.create(study=study, code=code, name=name, ratio=1, sessions=sessions)
    ConfirmedCriterion.objects.create(
        study=study, kind=CriterionKind.INCLUSION, text="Willing to taper", order=1
    )
    ConfirmedCriterion.objects.create(
        study=study, kind=CriterionKind.EXCLUSION, text="Active substance use disorder", order=2
    )
    for signer in Signer.values:
        ConsentDocument.objects.create(
            study=study,
            signer=signer,
            version="1.0",
            approved_on=dt.date(2026, 1, 10),
            title=f"EMPOWER {signer} information",
            body="What the study is.\n\nWhat taking part means.",
            signed_off_at=clock.now(),
        )
    return study


@pytest.fixture
def trial(world) -> Trial:
    care = Program.objects.create(slug="pain-care", name="Pain care", condition="chronic_pain")
    Schedule.objects.create(
        program=care,
        name="Weekly check-in",
        kind=ScheduleKind.WEEKLY,
        weekday=0,
        instruments=["peg", "phq9"],
    )
    study = make_study(world.team_a.site, care=care)
    pi = factories.make_user(Role.INVESTIGATOR, username="pia")
    stat = factories.make_user(Role.STATISTICIAN, username="stan")
    for user, site in (
        (world.cora, world.team_a.site),
        (pi, None),
        (stat, None),
        (world.ruth, None),
    ):
        StudyStaff.objects.create(study=study, user=user, site=site)
    arms = {a.code: a for a in study.arms.all()}
    return Trial(study, care, pi, stat, arms["cbt"], arms["sm"], arms["taper"])


from tests.research.panel_world import advisory  # noqa: E402, F401  (the advisory panel)
