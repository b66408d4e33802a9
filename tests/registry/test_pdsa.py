import datetime as dt

from coproduce.audit.models import AuditEvent
from coproduce.platform import clock
from coproduce.registry.measures import MEASURES
from coproduce.registry.models import PdsaAnnotation
from coproduce.registry.services import build_series, measure_by_site
from tests.registry.test_pages import fill


def annotate(client, user, **data):
    client.force_login(user)
    return client.post("/registry/measures/checkin-completion/", data)


def test_it_lets_a_qi_lead_annotate_a_network_wide_change(client, world):
    response = annotate(
        client, world.quinn, site="", on="2026-01-15", title="Text reminders", new_phase="on"
    )
    assert response.status_code == 302
    note = PdsaAnnotation.objects.get()
    assert (note.site, note.title, note.new_phase, note.author) == (
        None,
        "Text reminders",
        True,
        world.quinn,
    )
    assert AuditEvent.objects.filter(event="registry.pdsa.added", actor=world.quinn).exists()


def test_it_lets_care_staff_annotate_only_their_own_site(client, world):
    assert annotate(client, world.nina, site=world.team_b.site_id, on="2026-01-15", title="x")
    assert not PdsaAnnotation.objects.exists()
    annotate(client, world.nina, site=world.team_a.site_id, on="2026-01-15", title="Huddles")
    assert PdsaAnnotation.objects.get().site_id == world.team_a.site_id
    annotate(client, world.nina, site="", on="2026-01-15", title="network")
    assert PdsaAnnotation.objects.count() == 1


def test_it_shows_annotations_on_the_charts_and_in_the_table(client, world):
    fill(world.alice)
    month = (clock.today().replace(day=1) - dt.timedelta(days=31)).replace(day=10)
    PdsaAnnotation.objects.create(
        measure_id="checkin-completion", on=month, title="Reminder wording", author=world.quinn
    )
    client.force_login(world.quinn)
    body = client.get("/registry/measures/checkin-completion/").content.decode()
    assert "Change tested (PDSA)" in body  # the chart's marked points
    assert "Reminder wording" in body


def months(n):
    return [dt.date(2024 + (i // 12), i % 12 + 1, 1) for i in range(n)]


def cells(values):
    from coproduce.registry.measures import Cell

    return [Cell(1, m, v, 100) for m, v in zip(months(len(values)), values, strict=True)]


def test_it_recalculates_limits_after_an_annotated_change(world):
    measure = MEASURES["checkin-completion"]
    values = [50, 52, 48, 51, 49, 50, 80, 82, 79, 81, 80, 78]
    change = PdsaAnnotation(
        measure_id=measure.id, on=dt.date(2024, 7, 10), title="x", new_phase=True
    )
    plain = build_series(measure, "s", months(12), cells(values))
    phased = build_series(measure, "s", months(12), cells(values), [change])
    assert plain.chart.phase_starts == [0]
    assert phased.chart.phase_starts == [0, 6]
    assert round(phased.chart.centre[0], 3) == 0.5
    assert round(phased.chart.centre[-1], 3) == 0.8
    assert phased.marks == [6]
    assert len(plain.chart.signals) > len(phased.chart.signals)


def test_it_does_not_split_off_a_phase_of_one_month(world):
    measure = MEASURES["checkin-completion"]
    change = PdsaAnnotation(
        measure_id=measure.id, on=dt.date(2024, 12, 1), title="x", new_phase=True
    )
    series = build_series(measure, "s", months(12), cells([50] * 11 + [60]), [change])
    assert series.chart.phase_starts == [0]


def test_it_draws_an_i_chart_of_medians(world):
    from coproduce.registry.measures import Cell

    measure = MEASURES["taper-mme-change"]
    data = [
        Cell(1, m, 0, 8, v) for m, v in zip(months(6), [-5, -10, -12, -20, -22, -30], strict=True)
    ]
    series = build_series(measure, "s", months(6), data)
    assert series.chart.chart == "i"
    assert series.chart.y == [-5, -10, -12, -20, -22, -30]


def test_it_shows_median_measures_without_a_funnel(client, world):
    client.force_login(world.quinn)
    assert client.get("/registry/measures/taper-mme-change/").status_code == 200
    assert client.get("/registry/measures/taper-mme-change/funnel/").status_code == 404
    net, _ = measure_by_site(MEASURES["taper-mme-change"])
    assert net.chart is None
