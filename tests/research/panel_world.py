"""An advisory panel for the research tests' trial: members, a material, a survey, rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import count

import pytest

from coproduce.people.models import Role
from coproduce.research.incentive_models import IncentiveRule, RuleKind
from coproduce.research.panel_models import (
    Material,
    MaterialKind,
    MaterialVersion,
    Panel,
    PanelMember,
    PanelSurvey,
)
from tests import factories

QUESTIONS = [
    {"id": "clear", "kind": "choice", "text": "Is it clear?", "options": ["Yes", "No"]},
    {"id": "change", "kind": "text", "text": "What would you change?", "options": []},
]
_n = count(1)


@dataclass
class Advisory:
    panel: Panel
    pat: PanelMember  # the member the tests follow
    lee: PanelMember  # another member
    version: MaterialVersion
    survey: PanelSurvey
    per_survey: IncentiveRule
    membership: IncentiveRule
    study_rule: IncentiveRule


def make_member(the_panel: Panel, *, joined: dt.date = dt.date(2025, 1, 15), **fields):
    n = next(_n)
    user = factories.make_user(Role.PANELIST, username=fields.pop("username", f"member{n}"))
    return PanelMember.objects.create(
        panel=the_panel,
        user=user,
        display_name=fields.pop("display_name", f"Member {n}"),
        email=fields.pop("email", f"member{n}@example.org"),
        joined_on=joined,
        **fields,
    )


def make_survey(
    the_panel: Panel, version: MaterialVersion, title: str = "Your view"
) -> PanelSurvey:
    return PanelSurvey.objects.create(
        panel=the_panel, version=version, title=title, questions=QUESTIONS
    )


@pytest.fixture
def advisory(trial) -> Advisory:
    the_panel = Panel.objects.create(
        study=trial.study, name="National panel", time_zone="America/New_York"
    )
    material = Material.objects.create(
        study=trial.study, kind=MaterialKind.DESCRIPTION, title="Study description"
    )
    version = MaterialVersion.objects.create(
        material=material, version="1.0", content="What EMPOWER is.\n\nWhat it asks of you."
    )
    return Advisory(
        panel=the_panel,
        pat=make_member(the_panel, username="pat", display_name="Pat Panel", region="Midwest"),
        lee=make_member(the_panel, username="lee", display_name="Lee Panel", region="South"),
        version=version,
        survey=make_survey(the_panel, version),
        per_survey=IncentiveRule.objects.create(
            panel=the_panel, kind=RuleKind.PER_SURVEY, amount_cents=1000, yearly_cap=8
        ),
        membership=IncentiveRule.objects.create(
            panel=the_panel, kind=RuleKind.MEMBERSHIP_YEAR, amount_cents=2000
        ),
        study_rule=IncentiveRule.objects.create(
            study=trial.study, kind=RuleKind.PER_SURVEY, amount_cents=1000, yearly_cap=8
        ),
    )
