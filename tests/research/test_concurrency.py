"""Randomisation under real parallel transactions (PostgreSQL: row locks are real there)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from coproduce.research.participants import Allocation, Participant
from coproduce.research.randomisation import (
    RandomisationRefused,
    arm_ratios,
    randomise,
    sequence,
)
from tests import factories
from tests.research.helpers import consented, race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel row locks need PostgreSQL"
)


def _race(targets, by):
    def job(pk):
        return lambda: randomise(Participant.objects.get(pk=pk), by=by)

    return race([job(pk) for pk in targets], refusals=(RandomisationRefused,))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_participant_sent_six_times_at_once_is_randomised_once(world, trial):
    p = consented(trial, world.alice, world.cora)
    done, refused = _race([p.pk] * 6, world.cora)
    assert len(done) == 1 and len(refused) == 5
    assert Allocation.objects.filter(participant=p).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_participants_of_one_stratum_take_each_position_once(world, trial):
    people = [consented(trial, world.alice, world.cora)]
    for _ in range(11):
        people.append(consented(trial, factories.make_patient(world.team_a), world.cora))
    done, refused = _race([p.pk for p in people], world.cora)
    assert len(done) == 12 and not refused
    rows = list(Allocation.objects.all())
    assert sorted(a.position for a in rows) == list(range(12))
    stratum = rows[0].stratum
    expected = sequence(
        trial.study.randomisation_seed,
        stratum,
        arm_ratios(trial.study),
        trial.study.block_multipliers,
        12,
    )
    by_position = {a.position: a.arm.code for a in rows}
    assert [by_position[n] for n in range(12)] == expected
    assert Counter(expected) == Counter(a.arm.code for a in rows)
