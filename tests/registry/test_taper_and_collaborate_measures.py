import datetime as dt

from coproduce.careplans.services import current_mme
from coproduce.people.models import Patient
from coproduce.registry.measures import MEASURES, monthly, network
from coproduce.registry.mme_sql import current_mme_subquery
from coproduce.registry.services import measure_by_site
from tests import factories
from tests.registry.helpers import UTC, medication, score, taper_plan

MARCH = dt.datetime(2026, 3, 1, tzinfo=UTC)
APRIL = dt.datetime(2026, 4, 1, tzinfo=UTC)
MAY = dt.datetime(2026, 5, 1, tzinfo=UTC)


def test_it_scores_mme_in_sql_like_careplans_does(world):
    day = dt.date(2026, 3, 15)
    medication(world.alice, "oxycodone", 10, 3, dt.date(2026, 1, 1))  # 45
    medication(world.alice, "fentanyl transdermal", 25, None, dt.date(2026, 1, 1), unit="mcg/hr")
    medication(world.alice, "buprenorphine", 8, 1, dt.date(2026, 1, 1))  # no factor
    medication(world.alice, "morphine", 30, 2, dt.date(2025, 1, 1), dt.date(2026, 1, 1))  # stopped
    medication(world.tom, "tramadol", 50, 4, dt.date(2026, 1, 1))  # 40
    got = dict(Patient.objects.annotate(mme=current_mme_subquery(day)).values_list("pk", "mme"))
    assert got[world.alice.pk] == float(current_mme(world.alice, day)) == 105.0
    assert got[world.tom.pk] == float(current_mme(world.tom, day)) == 40.0


def test_it_takes_the_median_mme_change_per_site_and_for_the_network(world):
    team_b_patients = [factories.make_patient(world.team_b) for _ in range(2)]
    # Alice 100 → 50 (-50 %), Tom 100 → 90 (-10 %), B1 200 → 200 (0 %), B2 100 → 120 (+20 %)
    cases = [
        (world.alice, 100, [("morphine", 50, 1)]),
        (world.tom, 100, [("morphine", 90, 1)]),
        (team_b_patients[0], 200, [("morphine", 100, 2)]),
        (team_b_patients[1], 100, [("oxycodone", 40, 2)]),
    ]
    for patient, baseline, lines in cases:
        taper_plan(patient, world.carl, dt.date(2026, 2, 1), baseline)
        for drug, strength, per_day in lines:
            medication(patient, drug, strength, per_day, dt.date(2026, 2, 20))
    cells = monthly("taper-mme-change", MARCH, APRIL)
    by_site = {c.site_id: (c.value, c.denominator) for c in cells}
    assert by_site[world.team_a.site_id] == (-30.0, 2)  # median of -50 and -10
    assert by_site[world.team_b.site_id] == (10.0, 2)  # median of 0 and +20
    (whole,) = network(cells)
    assert (whole.value, whole.denominator) == (-5.0, 4)  # median of -50, -10, 0, 20


def test_it_leaves_patients_out_of_the_cohort_before_their_plan_starts(world):
    taper_plan(world.alice, world.carl, dt.date(2026, 4, 10), 100)
    medication(world.alice, "morphine", 80, 1, dt.date(2026, 4, 1))
    cells = monthly("taper-mme-change", MARCH, MAY)
    assert [(c.site_id, c.month, c.value) for c in cells] == [
        (0, dt.date(2026, 4, 1), -20.0),
        (world.team_a.site_id, dt.date(2026, 4, 1), -20.0),
    ]


def test_it_counts_pain_not_increased_by_more_than_one_point(world):
    start = dt.date(2026, 2, 1)
    other = factories.make_patient(world.team_a)
    for patient in (world.alice, world.tom, other):
        taper_plan(patient, world.carl, start, 100)
    score(world.alice, "peg", dt.datetime(2026, 1, 25, tzinfo=UTC), 5.0)
    score(world.alice, "peg", dt.datetime(2026, 3, 20, tzinfo=UTC), 6.0)  # +1: not increased
    score(world.tom, "pain-nrs", dt.datetime(2026, 1, 28, tzinfo=UTC), 4)
    score(world.tom, "pain-nrs", dt.datetime(2026, 3, 2, tzinfo=UTC), 3)
    score(world.tom, "pain-nrs", dt.datetime(2026, 3, 22, tzinfo=UTC), 6)  # latest: +2
    score(other, "peg", dt.datetime(2025, 12, 1, tzinfo=UTC), 5.0)  # too early: no baseline
    score(other, "peg", dt.datetime(2026, 3, 5, tzinfo=UTC), 5.0)
    (cell,) = monthly("taper-pain-not-increased", MARCH, APRIL)
    assert (cell.numerator, cell.denominator) == (1, 2)


def collaborate(patient, n, top, day=10):
    for i in range(n):
        value = 9.0 if i < top else 7.33
        score(patient, "collaborate", dt.datetime(2026, 3, day, 9, i, tzinfo=UTC), value)


def test_it_counts_collaborate_top_scores_per_encounter(world):
    collaborate(world.alice, 25, top=20)
    score(world.alice, "collaborate", dt.datetime(2026, 3, 11, tzinfo=UTC), None, complete=False)
    (cell,) = monthly("collaborate-top", MARCH, APRIL)
    assert (cell.numerator, cell.denominator) == (20, 25)


def test_it_reports_collaborate_only_with_25_encounters_or_more(world):
    collaborate(world.alice, 25, top=20)  # North: exactly 25, reported
    collaborate(factories.make_patient(world.team_b), 24, top=24)  # South: 24, withheld
    measure = MEASURES["collaborate-top"]
    net, per_site = measure_by_site(measure, months=3, today=dt.date(2026, 3, 31))
    north, south = per_site
    assert [c.denominator for c in north.cells if c] == [25]
    assert [c for c in south.cells if c] == []
    assert [c.denominator for c in net.cells if c] == [49]
