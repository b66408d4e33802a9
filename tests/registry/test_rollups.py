import datetime as dt

import pytest

from coproduce.platform import clock
from coproduce.registry.measures import MEASURES, monthly
from coproduce.registry.models import MeasureMonth, RollupCoverage
from coproduce.registry.rollups import cells_for, refresh_rollups
from coproduce.registry.services import measure_view, window
from coproduce.registry.tasks import refresh_registry_rollups
from tests.registry.test_access import busy  # noqa: F401  (fixture)


def key(cells):
    return sorted((c.site_id, c.month, c.numerator, c.denominator, c.value) for c in cells)


@pytest.mark.parametrize("measure_id", list(MEASURES))
def test_it_stores_the_same_cells_as_the_live_queries(busy, measure_id):  # noqa: F811
    _, start, end = window(24)
    refresh_rollups(start.date())
    from_rollups, coverage = cells_for(measure_id, start, end)
    assert coverage is not None
    assert key(from_rollups) == key(monthly(measure_id, start, end))


def test_it_reads_live_until_the_window_is_covered(busy):  # noqa: F811
    _, start, end = window(24)
    refresh_rollups(end.date() - dt.timedelta(days=40))  # the last month or two only
    cells, coverage = cells_for("checkin-completion", start, end)
    assert coverage is None
    assert key(cells) == key(monthly("checkin-completion", start, end))


def test_it_can_refresh_twice_without_duplicates(busy):  # noqa: F811
    since = clock.today() - dt.timedelta(days=200)
    first = refresh_rollups(since)
    second = refresh_rollups(since)
    assert first == second == MeasureMonth.objects.count()


def test_it_shows_the_page_from_roll_ups_with_their_time(client, world, busy):  # noqa: F811
    refresh_rollups(clock.today() - dt.timedelta(days=800))
    view = measure_view(MEASURES["checkin-completion"])
    assert view.coverage is not None
    client.force_login(world.quinn)
    body = client.get("/registry/measures/checkin-completion/").content.decode()
    assert "From the monthly roll-ups" in body


def test_it_refreshes_this_and_last_month_from_the_worker_task(busy):  # noqa: F811
    refresh_registry_rollups.call()
    coverage = RollupCoverage.objects.get(measure_id="checkin-completion")
    assert coverage.last_month >= clock.today()
    assert (clock.today() - coverage.first_month).days < 62
