"""The coordinator's workspace costs the same queries however many participants it lists."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coproduce.platform import clock
from coproduce.research.followup import randomise_and_start, withdraw
from coproduce.research.participants import WithdrawalScope
from tests import factories
from tests.research.helpers import consented
from tests.safetynet.factories import checkin


def _randomised(world, trial, n: int) -> int:
    """Randomise at least `n` more, until one is in a behavioural arm (this week it has a
    session to show, so every count below includes the sessions' queries); how many."""
    made, sessions = 0, False
    while made < n or not sessions:
        patient = factories.make_patient(world.team_a)
        p = consented(trial, patient, world.cora)
        sessions |= randomise_and_start(p, by=world.cora).arm.sessions > 0
        checkin(patient, clock.now(), scores={"peg": 4.0})
        made += 1
    return made


def test_the_workspace_query_count_is_constant_in_the_participants(
    client, world, trial, django_assert_num_queries
):
    url = reverse("research:study", args=[trial.study.slug])
    client.force_login(world.cora)
    with clock.frozen(clock.now() - dt.timedelta(days=40)):
        first = _randomised(world, trial, 2)
    p = consented(trial, factories.make_patient(world.team_a), world.cora)
    randomise_and_start(p, by=world.cora)
    withdraw(p, scope=WithdrawalScope.FOLLOW_UP, by=world.cora)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    assert len(page.context["rows"]) == first + 1
    with clock.frozen(clock.now() - dt.timedelta(days=40)):
        more = _randomised(world, trial, 4)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert len(page.context["rows"]) == first + 1 + more
    assert page.context["sessions"]
