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
    assert first["people.Site"] == 3 and first["people.CareTeam"] == 6
    second_ctx = seed_all()
    assert row_counts() == first
    assert second_ctx.created == {}


@override_settings(MODE="test")
def test_it_refuses_to_run_the_demo_outside_demo_mode(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="COPRODUCE_MODE=demo"):
        call_command("demo", "--no-serve", stdout=io.StringIO())


@override_settings(MODE="demo")
def test_it_seeds_and_prints_the_logins(db, capsys):
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
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
