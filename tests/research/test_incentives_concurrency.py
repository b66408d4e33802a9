"""Exactly once under real parallel transactions (PostgreSQL: concurrent writers are real
there; SQLite runs one writer at a time, so these races cannot happen on it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from coproduce.research import incentives, panel
from coproduce.research.incentive_models import LedgerEntry
from coproduce.research.panel_models import SurveyInvitation, SurveyResponse
from tests.research.helpers import race

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel transactions need PostgreSQL (SQLite allows one writer at a time)",
)
AT = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)


def _race(jobs):
    return race(jobs)[0]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_completion_sent_eight_times_at_once_accrues_once(advisory):
    rule, member = advisory.per_survey, advisory.pat
    results = _race([lambda: incentives.accrue(rule, source="s", earned_at=AT, member=member)] * 8)
    assert len({r.pk for r in results}) == 1
    assert LedgerEntry.objects.count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twelve_different_completions_at_once_stop_at_the_cap(advisory):
    rule, member = advisory.per_survey, advisory.pat

    def job(n):
        return lambda: incentives.accrue(rule, source=f"s{n}", earned_at=AT, member=member)

    results = _race([job(n) for n in range(12)])
    assert sum(r is not None for r in results) == 8
    entries = LedgerEntry.objects.filter(member=member)
    assert entries.count() == 8
    assert sorted(entries.values_list("slot", flat=True)) == list(range(1, 9))


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_one_survey_submitted_six_times_at_once_is_stored_and_paid_once(advisory):
    panel.send_survey(advisory.survey, by=None, now=AT)
    invitation = SurveyInvitation.objects.get(member=advisory.pat)

    def job():
        return panel.submit(
            SurveyInvitation.objects.get(pk=invitation.pk), {"clear": "Yes"}, now=AT
        )

    results = _race([job] * 6)
    assert len({r.pk for r in results}) == 1
    assert SurveyResponse.objects.count() == 1
    assert LedgerEntry.objects.filter(member=advisory.pat).count() == 1
