"""The incentives ledger: exactly once, caps per calendar year in the payee's zone, batches,
the CSV for the finance office, statements, audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coproduce.audit.models import AuditEvent
from coproduce.checkins.scheduling import sync_patient
from coproduce.platform import clock
from coproduce.research import incentives, panel
from coproduce.research.followup import randomise_and_start
from coproduce.research.incentive_models import BatchStatus, LedgerEntry
from coproduce.research.tasks import accrue_incentives
from tests import factories
from tests.research.conftest import NOW
from tests.research.helpers import consented
from tests.research.panel_world import make_member, make_survey
from tests.safetynet.factories import checkin

NY = ZoneInfo("America/New_York")


def _local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def test_it_accrues_once_however_often_it_is_retried(advisory):
    at = _local(2026, 5, 4, 12)
    first = incentives.accrue(advisory.per_survey, source="s1", earned_at=at, member=advisory.pat)
    for _ in range(3):
        again = incentives.accrue(
            advisory.per_survey, source="s1", earned_at=at, member=advisory.pat
        )
        assert again == first
    assert LedgerEntry.objects.count() == 1
    assert first.amount_cents == 1000 and first.year == 2026 and first.slot == 1
    assert AuditEvent.objects.filter(event="incentive.accrued").count() == 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sources=st.lists(
        st.tuples(st.integers(0, 14), st.sampled_from([2025, 2026, 2027])), max_size=40
    )
)
def test_caps_hold_for_any_order_of_completions_and_retries(advisory, sources):
    member = make_member(advisory.panel)  # a fresh payee for every example
    for n, year in sources:
        incentives.accrue(
            advisory.per_survey,
            source=f"survey:{year}:{n}",
            earned_at=_local(year, 6, 1, 12),
            member=member,
        )
    entries = LedgerEntry.objects.filter(member=member)
    for year in (2025, 2026, 2027):
        distinct = len({n for n, y in sources if y == year})
        in_year = entries.filter(year=year)
        assert in_year.count() == min(8, distinct)
        assert sorted(in_year.values_list("slot", flat=True)) == list(range(1, in_year.count() + 1))
    assert entries.count() == len({e.source for e in entries})


def test_the_cap_year_ends_at_midnight_in_the_payees_zone(advisory):
    pat = advisory.pat
    for n in range(8):
        made = incentives.accrue(
            advisory.per_survey, source=f"dec-{n}", earned_at=_local(2026, 12, 31, 9), member=pat
        )
        assert made is not None
    # 23:59 on 31 December in New York is already 1 January in UTC: still 2026, capped.
    late = _local(2026, 12, 31, 23, 59)
    assert late.astimezone(dt.UTC).year == 2027
    assert incentives.accrue(advisory.per_survey, source="late", earned_at=late, member=pat) is None
    jan = incentives.accrue(
        advisory.per_survey, source="jan", earned_at=_local(2027, 1, 1, 0, 1), member=pat
    )
    assert jan is not None and jan.year == 2027 and jan.slot == 1


def test_panel_surveys_answered_around_new_year_count_in_the_local_year(advisory):
    surveys = [make_survey(advisory.panel, advisory.version, f"S{n}") for n in range(10)]
    with clock.frozen(_local(2026, 12, 20, 12)):
        for s in surveys:
            panel.send_survey(s, by=None)
    for n, s in enumerate(surveys[:8]):
        with clock.frozen(_local(2026, 12, 31, 10 + n)):
            panel.submit(s.invitations.get(member=advisory.pat), {"clear": "Yes"})
    with clock.frozen(_local(2026, 12, 31, 23, 30)):
        panel.submit(surveys[8].invitations.get(member=advisory.pat), {"clear": "Yes"})
        assert incentives.statement(member=advisory.pat).total_cents == 8000
    with clock.frozen(_local(2027, 1, 1, 0, 30)):
        panel.submit(surveys[9].invitations.get(member=advisory.pat), {"clear": "Yes"})
        mine = incentives.statement(member=advisory.pat)
        assert mine.year == 2027 and mine.total_cents == 1000


def test_a_leap_day_join_earns_its_membership_year_on_28_february(advisory):
    leap = make_member(advisory.panel, joined=dt.date(2024, 2, 29))
    assert incentives.accrue_membership(leap, now=_local(2025, 2, 27, 12)) == 0
    with clock.frozen(_local(2025, 2, 28, 0, 30)):
        assert incentives.accrue_due() >= 1
        assert incentives.statement(member=leap).total_cents == 2000
    assert incentives.accrue_membership(leap, now=_local(2025, 2, 28, 13)) == 0  # once
    assert incentives.accrue_membership(leap, now=_local(2028, 2, 29, 12)) == 3
    years = LedgerEntry.objects.filter(member=leap).values_list("earned_at", flat=True)
    assert [d.astimezone(NY).date() for d in years] == [
        dt.date(2025, 2, 28),
        dt.date(2026, 2, 28),
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
    ]


def test_a_survey_on_leap_day_counts_in_its_year(advisory):
    entry = incentives.accrue(
        advisory.per_survey,
        source="leap",
        earned_at=_local(2028, 2, 29, 23, 30),
        member=advisory.pat,
    )
    assert entry.year == 2028
    with clock.frozen(_local(2028, 2, 29, 23, 45)):
        assert incentives.statement(member=advisory.pat).total_cents == 1000


def _started(world, trial):
    p = consented(trial, world.alice, world.cora)
    sync_patient(world.alice, now=NOW - dt.timedelta(days=3))
    randomise_and_start(p, by=world.cora, now=NOW)
    p.refresh_from_db()
    return p


def test_study_participants_earn_for_answered_study_surveys_once(world, trial, advisory):
    _started(world, trial)
    checkin(world.alice, NOW + dt.timedelta(hours=2), scores={"peg": 4.0})
    later = NOW + dt.timedelta(days=15)
    incentives.accrue_due(now=later)
    with clock.frozen(later):
        accrue_incentives.call()  # the hourly job runs again: nothing twice
    mine = LedgerEntry.objects.filter(patient=world.alice)
    assert mine.count() == 2  # the baseline and that week's weekly assessment
    assert {e.rule for e in mine} == {advisory.study_rule}
    with clock.frozen(later):
        assert incentives.statement(patient=world.alice).total_cents == 2000


def test_a_patient_sees_their_statement(client, world, trial, advisory):
    _started(world, trial)
    checkin(world.alice, NOW + dt.timedelta(hours=2), scores={"peg": 4.0})
    later = NOW + dt.timedelta(days=15)
    incentives.accrue_due(now=later)
    client.force_login(world.alice.user)
    with clock.frozen(later):
        page = client.get(reverse("my-incentives"))
        home = client.get(reverse("my-home"))
    assert b"You have earned $20.00 this year (2026)." in page.content
    assert b"You have earned $20.00 this year." in home.content
    assert b"panel" not in page.content.lower() and b"panel" not in home.content.lower()


def test_amounts_are_shown_in_the_locale_s_currency_format():
    assert incentives.money(4000, "USD") == "$40.00"
    with translation.override("sv"):
        assert incentives.money(4000, "USD") == "40,00\xa0US$"
    with translation.override("es"):
        assert incentives.money(123456, "USD") == "1.234,56\xa0US$"


def _earn(advisory, world, trial):
    incentives.accrue(advisory.per_survey, source="a", earned_at=NOW, member=advisory.pat)
    incentives.accrue(
        advisory.membership, source="membership-year:1", earned_at=NOW, member=advisory.pat
    )
    incentives.accrue(advisory.per_survey, source="a", earned_at=NOW, member=advisory.lee)
    p = consented(trial, world.alice, world.cora)
    p.status = "active"
    p.save()
    incentives.accrue(advisory.study_rule, source="x", earned_at=NOW, patient=world.alice)
    other_site = factories.make_patient(world.team_b)
    incentives.accrue(advisory.study_rule, source="y", earned_at=NOW, patient=other_site)


def test_a_batch_is_drafted_approved_paid_and_exported(world, trial, advisory):
    _earn(advisory, world, trial)
    batch = incentives.create_batch(trial.study, by=world.cora, now=NOW + dt.timedelta(hours=1))
    # Cora coordinates team A's site only: the other site's participant is not hers to batch.
    assert batch.entries.count() == 4 and incentives.batch_total(batch) == 5000
    with pytest.raises(ValidationError):
        incentives.create_batch(trial.study, by=world.cora)  # nothing left
    with pytest.raises(ValidationError):
        incentives.batch_csv(batch, by=world.cora)  # not approved yet
    with pytest.raises(PermissionDenied):
        incentives.approve_batch(batch, by=world.cora)
    incentives.approve_batch(batch, by=trial.pi)
    with pytest.raises(ValidationError):
        incentives.approve_batch(batch, by=trial.pi)
    rows = list(csv.DictReader(io.StringIO(incentives.batch_csv(batch, by=world.cora))))
    assert list(rows[0]) == incentives.CSV_COLUMNS
    by_id = {r["payee_id"]: r for r in rows}
    assert by_id[world.alice.registry_id]["amount"] == "10.00"
    assert by_id[world.alice.registry_id]["payee_kind"] == "participant"
    pat = by_id[advisory.pat.member_id]
    assert (pat["amount"], pat["entries"], pat["email"]) == ("30.00", "2", advisory.pat.email)
    assert pat["payee_kind"] == "panel_member" and len(rows) == 3
    incentives.mark_paid(batch, by=world.cora)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert incentives.statement(member=advisory.pat, now=NOW).paid_cents == 3000
    kinds = list(
        AuditEvent.objects.filter(event__startswith="incentive.batch")
        .order_by("pk")
        .values_list("event", flat=True)
    )
    assert kinds == [
        "incentive.batched",
        "incentive.batch_approved",
        "incentive.batch_exported",
        "incentive.batch_paid",
    ]


def test_mark_paid_needs_an_approved_batch(world, trial, advisory):
    _earn(advisory, world, trial)
    batch = incentives.create_batch(trial.study, by=world.cora)
    with pytest.raises(ValidationError):
        incentives.mark_paid(batch, by=world.cora)


def test_the_ledger_pages_walk_a_batch_and_give_the_csv(client, world, trial, advisory):
    _earn(advisory, world, trial)
    slug = trial.study.slug
    client.force_login(world.cora)
    page = client.get(reverse("research:incentives", args=[slug]))
    assert page.status_code == 200 and b"$10.00" in page.content
    client.post(reverse("research:batch-create", args=[slug]))
    batch = incentives.batches_for(world.cora, trial.study).get()
    client.force_login(trial.pi)
    client.post(reverse("research:batch-action", args=[slug, batch.pk, "approve"]))
    assert client.get(reverse("research:batch-csv", args=[slug, batch.pk])).status_code == 404
    client.force_login(world.cora)
    response = client.get(reverse("research:batch-csv", args=[slug, batch.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(incentives.CSV_COLUMNS)
    client.post(reverse("research:batch-action", args=[slug, batch.pk, "paid"]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
