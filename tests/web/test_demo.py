import datetime as dt
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from coproduce.demo import seed_all


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label not in {"sessions", "admin", "contenttypes", "auth"}
        and model._meta.label not in {"audit.AuditEvent"}
    }


def test_it_creates_nothing_twice_when_seeded_again(db):
    seed_all()
    first = row_counts()
    assert first["people.Patient"] >= 60
    assert first["people.Site"] == 4 and first["people.CareTeam"] == 7  # 3 SE sites, 1 US
    second_ctx = seed_all()
    assert row_counts() == first
    assert second_ctx.created == {}


@override_settings(MODE="test")
def test_it_refuses_to_run_the_demo_outside_demo_mode(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="COPRODUCE_MODE=demo"):
        call_command("demo", "--no-serve", stdout=io.StringIO())


def test_it_gives_every_measure_a_network_chart(demo_rows):
    from coproduce.registry.measures import MEASURES
    from coproduce.registry.services import floor_of, measure_by_site

    for measure_id, measure in MEASURES.items():
        network, _ = measure_by_site(measure)
        shown = [c for c in network.cells if c is not None]
        assert len(shown) >= 12, measure_id
        assert all(c.denominator >= floor_of(measure) for c in shown), measure_id
        assert network.chart is not None, measure_id


def test_it_shows_each_site_its_completion_with_the_reminder_change_marked(demo_rows):
    from coproduce.registry.measures import MEASURES
    from coproduce.registry.services import measure_by_site

    network, sites = measure_by_site(MEASURES["checkin-completion"])
    assert all(site.chart is not None for site in sites)
    assert len(network.annotations) == 1 and network.marks[0] is not None
    change = network.annotations[0].on
    cells = [c for c in network.cells if c is not None]

    def rate(chosen):
        return sum(c.numerator for c in chosen) / sum(c.denominator for c in chosen)

    assert (
        rate([c for c in cells if c.month >= change])
        > rate([c for c in cells if c.month < change]) + 0.05
    )


@override_settings(MODE="demo")
def test_it_refuses_a_today_that_is_not_a_date_and_seeds_nothing(db):
    from django.core.management.base import CommandError

    from coproduce.people.models import Patient

    with pytest.raises(CommandError, match="not a date: use YYYY-MM-DD"):
        call_command("demo", "--no-serve", "--today", "2027-02-29", stdout=io.StringIO())
    assert not Patient.objects.exists()


@override_settings(MODE="demo")
def test_it_seeds_as_of_the_day_it_is_given_and_prints_the_logins(db, capsys):
    from coproduce.platform import clock

    previous = clock.snapshot()
    try:
        call_command("demo", "--no-serve", "--today", "2028-02-29")
        assert clock.today() == dt.date(2028, 2, 29)
    finally:
        clock.restore(previous)
    out = capsys.readouterr().out
    assert "Seeded as of Tuesday 29 February 2028" in out
    for username in (
        "patient",
        "parent",
        "teen",
        "nurse",
        "clinician",
        "coordinator",
        "researcher",
        "qi",
        "admin",
    ):
        assert username in out
    assert "/c/" in out  # Maria's check-in link


def test_the_demo_shows_an_urgent_alerts_whole_path(demo_rows):
    """Demo staff have addresses and demo sites urgent contacts (issue 11.4): a crisis
    check-in of the demo patient is e-mailed to her nurse and her site's on-call address."""
    from django.db import transaction

    from coproduce.checkins.services import submit_checkin
    from coproduce.people.models import STAFF_ROLES, Site, User
    from coproduce.platform import clock
    from coproduce.platform.models import Notification
    from tests.checkins.conftest import full_answers

    ctx = demo_rows
    staff = User.objects.filter(role__in=STAFF_ROLES)
    assert staff.exists() and not staff.exclude(email__endswith="@example.org").exists()
    assert not Site.objects.filter(urgent_email="", urgent_phone="").exists()
    patient = ctx.objects["named"]["patient"]
    with transaction.atomic():
        result = submit_checkin(
            patient=patient,
            answers=full_answers(item9=1),
            idempotency_key="demo-crisis",
            now=clock.now(),
        )
    assert result.team_told
    told = set(
        Notification.objects.filter(alert__response=result.response).values_list("to", flat=True)
    )
    assert {"nurse@example.org", "on-call.north@example.org"} <= told
