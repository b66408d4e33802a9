import datetime as dt

import pytest

from coproduce.checkins.models import CheckinResponse, Invitation, InvitationStatus, Score
from coproduce.platform.models import Priority
from coproduce.registry.measures import MEASURES, monthly, network
from coproduce.safetynet.models import Alert
from tests import factories

UTC = dt.UTC
MARCH = dt.datetime(2026, 3, 1, tzinfo=UTC)
APRIL = dt.datetime(2026, 4, 1, tzinfo=UTC)


def invitation(patient, day, status):
    due = dt.datetime(2026, 3, day, 9, tzinfo=UTC)
    return Invitation.objects.create(
        patient=patient, due_at=due, expires_at=due + dt.timedelta(days=7), status=status
    )


_keys = iter(range(10**6))


def phq9(patient, when, value):
    n = [next(_keys)]
    response = CheckinResponse.objects.create(
        patient=patient, answers={}, versions={}, idempotency_key=f"k{n[0]}", submitted_at=when
    )
    Score.objects.create(
        response=response,
        patient=patient,
        instrument_id="phq9",
        version="1.0",
        score=value,
        at=when,
    )


def test_it_counts_completed_check_ins_per_site_and_month(world):
    for day in (2, 9, 16):
        invitation(world.alice, day, InvitationStatus.COMPLETED)
    invitation(world.alice, 23, InvitationStatus.EXPIRED)
    invitation(world.alice, 30, InvitationStatus.SENT)  # still open: not counted yet
    other = factories.make_patient(world.team_b)
    invitation(other, 5, InvitationStatus.EXPIRED)
    cells = monthly("checkin-completion", MARCH, APRIL)
    by_site = {c.site_id: (c.numerator, c.denominator) for c in cells}
    assert by_site == {world.team_a.site_id: (3, 4), world.team_b.site_id: (0, 1)}
    assert [(c.numerator, c.denominator) for c in network(cells)] == [(3, 5)]


def test_it_counts_urgent_alerts_acknowledged_by_their_due_time(world):
    made = dt.datetime(2026, 3, 10, 8, tzinfo=UTC)
    for minutes_late in (-5, 0, 30):
        Alert.objects.create(
            patient=world.alice,
            care_team=world.team_a,
            rule_id="r",
            priority=Priority.URGENT,
            reason="x",
            created_at=made,
            ack_due_at=made + dt.timedelta(hours=1),
            acknowledged_at=made + dt.timedelta(hours=1, minutes=minutes_late),
        )
    Alert.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        rule_id="r",
        priority=Priority.ROUTINE,
        reason="not urgent",
        created_at=made,
    )
    (cell,) = monthly("urgent-ack", MARCH, APRIL)
    assert (cell.numerator, cell.denominator) == (2, 3)


def test_it_finds_a_phq9_rise_of_five_from_the_previous_score(world):
    phq9(world.alice, dt.datetime(2026, 2, 20, tzinfo=UTC), 6)
    phq9(world.alice, dt.datetime(2026, 3, 5, tzinfo=UTC), 11)  # +5: worsening
    phq9(world.tom, dt.datetime(2026, 2, 20, tzinfo=UTC), 6)
    phq9(world.tom, dt.datetime(2026, 3, 5, tzinfo=UTC), 10)  # +4: not
    (cell,) = monthly("worsening", MARCH, APRIL)
    assert (cell.numerator, cell.denominator) == (1, 2)


def test_it_uses_the_latest_das28_band_of_the_month(world):
    for day, band in ((3, "high"), (20, "low")):
        when = dt.datetime(2026, 3, day, tzinfo=UTC)
        response = CheckinResponse.objects.create(
            patient=world.alice,
            answers={},
            versions={},
            idempotency_key=f"d{day}",
            submitted_at=when,
        )
        Score.objects.create(
            response=response,
            patient=world.alice,
            instrument_id="das28-crp",
            version="1.0",
            score=3.0,
            band=band,
            at=when,
        )
    (cell,) = monthly("ra-remission-low", MARCH, APRIL)
    assert (cell.numerator, cell.denominator) == (1, 1)


@pytest.mark.parametrize("measure_id", list(MEASURES))
def test_it_computes_every_measure_on_an_empty_registry(db, measure_id):
    assert monthly(measure_id, MARCH, APRIL) == []
