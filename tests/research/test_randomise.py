"""Randomising a participant: only with eligibility and valid consent, once, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from coproduce.audit.models import AuditEvent
from coproduce.platform import clock
from coproduce.research import consent
from coproduce.research.followup import randomise_and_start
from coproduce.research.models import ConsentDocument, Signer
from coproduce.research.participants import Allocation, Status
from coproduce.research.randomisation import RandomisationRefused, randomise, reproduce
from tests.research.helpers import consented, eligible, screened, signed


def test_it_refuses_without_consent(world, trial):
    p = eligible(screened(trial, world.alice, world.cora), world.cora)
    with pytest.raises(RandomisationRefused), transaction.atomic():
        randomise(p, by=world.cora)
    assert not Allocation.objects.exists()


def test_it_refuses_without_confirmed_eligibility(world, trial):
    p = screened(trial, world.alice, world.cora)
    signed(p, Signer.ADULT, world.cora)
    p.refresh_from_db()
    assert p.status == Status.CONSENTED
    with pytest.raises(RandomisationRefused, match="eligibility"):
        randomise(p, by=world.cora)


def test_it_randomises_once_and_audits_without_the_arm(world, trial):
    p = consented(trial, world.alice, world.cora)
    allocation = randomise_and_start(p, by=world.cora)
    with pytest.raises(RandomisationRefused, match="already"):
        randomise(p, by=world.cora)
    assert Allocation.objects.count() == 1
    assert reproduce(allocation)
    event = AuditEvent.objects.get(event="research.randomised")
    assert event.detail == {"study": "empower", "stratum": allocation.stratum, "position": 0}
    assert allocation.arm.code not in str(event.detail)
    p.refresh_from_db()
    assert p.status == Status.RANDOMISED
    assert p.sessions.count() == allocation.arm.sessions
    assert p.contact_tasks.count() == 3


def test_it_refuses_when_a_reconsent_version_came_into_force(world, trial):
    p = consented(trial, world.alice, world.cora)
    doc = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="2.0",
        approved_on=dt.date(2026, 2, 1),
        title="v2",
        body="New risks.",
        reconsent_required=True,
    )
    assert consent.consent_problems(p) == []  # not in force until the PI signs off
    consent.sign_off(doc, by=trial.pi)
    assert consent.consent_problems(p)
    with pytest.raises(RandomisationRefused, match="consent"):
        randomise(p, by=world.cora)


def test_it_stratifies_by_site_and_factors(world, trial):
    trial.study.strata_factors = ["age_group"]
    trial.study.save()
    p = consented(trial, world.alice, world.cora)
    allocation = randomise(p, by=world.cora, now=clock.now())
    age = world.alice.age_on(clock.today())
    group = "50+" if age >= 50 else "<50"
    assert allocation.stratum == f"site={world.team_a.site.slug};age={group}"
