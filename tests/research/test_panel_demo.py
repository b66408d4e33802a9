"""The demo advisory panel: `panelist` with a survey waiting, materials with versions and
feedback, incentive rules and a ledger to batch."""

from __future__ import annotations

from django.contrib.auth import authenticate

from coproduce.demo import seed_all
from coproduce.platform import clock
from coproduce.platform.models import Notification
from coproduce.research import incentives, panel
from coproduce.research.incentive_models import IncentiveRule, LedgerEntry, RuleKind
from coproduce.research.models import Study
from coproduce.research.panel_models import MaterialKind


def test_the_demo_panel_has_a_survey_waiting_for_panelist_and_feedback_per_version(db):
    seed_all()
    seed_all()  # a second run makes nothing twice
    study = Study.objects.get(slug="empower")
    user = authenticate(username="panelist", password="demo")
    assert user is not None and user.role == "panelist"
    member = panel.member_for(user)
    waiting = panel.waiting_for(member, now=clock.now())
    assert len(waiting) == 1
    assert Notification.objects.filter(purpose="panel_survey", to=member.email).count() == 7
    assert {m.kind for m in study.materials.all()} == set(MaterialKind.values)
    assert all(m.versions.count() >= 2 for m in study.materials.all())
    versions = panel.feedback(study.materials.get(kind=MaterialKind.DESCRIPTION))
    answered = [f.answered for _v, surveys in versions for f in surveys]
    assert sum(answered) >= 20
    rules = IncentiveRule.objects
    assert rules.get(study=study, kind=RuleKind.PER_SURVEY).amount_cents == 1000
    assert rules.get(study=study).yearly_cap == 8
    assert rules.get(panel__study=study, kind=RuleKind.MEMBERSHIP_YEAR).amount_cents == 2000
    assert (
        LedgerEntry.objects.filter(member=member, rule__kind=RuleKind.MEMBERSHIP_YEAR).count() == 1
    )
    assert LedgerEntry.objects.filter(patient__isnull=False).exists()  # participants' surveys
    assert incentives.statement(member=member).total_cents > 0
    table = panel.representativeness(member.panel, on=clock.today())
    assert sum(g.count or 0 for g in table["Region"]) == 30
