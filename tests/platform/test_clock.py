"""The application clock: one switch that stands the whole application on a chosen day."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from coproduce.platform import clock


@pytest.fixture(autouse=True)
def _clock_as_it_was():
    # The suite may itself run on a moved clock (COPRODUCE_TODAY): put it back as it was.
    previous = clock.snapshot()
    yield
    clock.restore(previous)


def test_it_reads_the_real_time_unless_moved():
    clock.reset()
    before = timezone.now()
    assert before <= clock.now() <= timezone.now()
    assert not clock.is_moved()


def test_it_freezes_at_an_instant_and_gives_the_day_in_any_zone():
    at = dt.datetime(2028, 2, 29, 23, 30, tzinfo=dt.UTC)
    with clock.frozen(at):
        assert clock.now() == at
        assert clock.today(dt.UTC) == dt.date(2028, 2, 29)
        # Stockholm is an hour ahead in winter: already 1 March there.
        assert clock.today(ZoneInfo("Europe/Stockholm")) == dt.date(2028, 3, 1)
        assert clock.today(ZoneInfo("America/Los_Angeles")) == dt.date(2028, 2, 29)
    assert clock.now() != at


def test_a_date_freezes_at_noon_utc():
    with clock.frozen(dt.date(2027, 1, 31)) as at:
        assert at == dt.datetime(2027, 1, 31, 12, tzinfo=dt.UTC)


def test_it_travels_to_a_day_and_keeps_running():
    clock.travel_to(dt.date(2027, 12, 31))
    first = clock.now()
    assert first.date() in {dt.date(2027, 12, 31), dt.date(2028, 1, 1)}
    assert clock.now() >= first


def test_it_travels_to_an_instant_and_keeps_running():
    at = dt.datetime(2028, 2, 29, 0, 20, tzinfo=ZoneInfo("Europe/Stockholm"))
    clock.travel_to(at)
    first = clock.now()
    assert dt.timedelta(0) <= first - at < dt.timedelta(seconds=5)
    assert clock.today(ZoneInfo("Europe/Stockholm")) == dt.date(2028, 2, 29)
    assert clock.today(dt.UTC) == dt.date(2028, 2, 28)  # still the 28th in UTC
    assert clock.now() >= first


def test_it_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(dt.datetime(2027, 1, 1, 12))
    with pytest.raises(ValueError, match="aware"):
        clock.travel_to(dt.datetime(2027, 1, 1, 12))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2028-02-29", dt.date(2028, 2, 29)),
        (
            "2028-02-29T00:20+01:00",
            dt.datetime(2028, 2, 29, 0, 20, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        ),
    ],
)
def test_the_setting_takes_a_day_or_an_instant(monkeypatch, raw, expected):
    from coproduce.conf import env_date

    monkeypatch.setenv("COPRODUCE_TODAY", raw)
    assert env_date("COPRODUCE_TODAY") == expected


@pytest.mark.parametrize("raw", ["29/02/2028", "2028-02-29T00:20", "2028-02-30"])
def test_the_setting_refuses_what_is_not_a_day_or_an_aware_instant(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from coproduce.conf import env_date

    monkeypatch.setenv("COPRODUCE_TODAY", raw)
    with pytest.raises(ImproperlyConfigured, match="YYYY-MM-DD"):
        env_date("COPRODUCE_TODAY")


def test_clinic_today_uses_the_sites_zone(db):
    from tests import factories

    site = factories.make_site("Far West Clinic")
    site.time_zone = "Pacific/Honolulu"
    with clock.frozen(dt.datetime(2027, 6, 1, 5, 0, tzinfo=dt.UTC)):
        assert clock.clinic_today(site) == dt.date(2027, 5, 31)


def test_processes_moved_to_an_instant_share_one_anchor(monkeypatch):
    """A worker started minutes after the web process must read the same moved time."""
    monkeypatch.delenv(clock.ANCHOR_ENV, raising=False)
    first = clock.shared_anchor()
    assert float(os.environ[clock.ANCHOR_ENV]) == first.timestamp()  # children inherit it
    assert clock.shared_anchor() == first
    at = dt.datetime(2028, 2, 29, 0, 20, tzinfo=ZoneInfo("Europe/Stockholm"))
    clock.travel_to(at, since=first - dt.timedelta(minutes=10))  # as in a later child
    assert dt.timedelta(minutes=10) <= clock.now() - at < dt.timedelta(minutes=10, seconds=5)
