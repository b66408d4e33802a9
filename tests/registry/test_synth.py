from django.core.management import call_command

from coproduce.checkins.models import CheckinResponse, Invitation, Score
from coproduce.people.models import Patient, Site
from coproduce.registry.measures import MEASURES
from coproduce.registry.services import measure_view


def test_it_generates_a_synthetic_registry_with_a_summary(db, capsys):
    call_command(
        "registry-synth", "--sites", "3", "--patients", "30", "--weeks", "20", "--seed", "7"
    )
    out = capsys.readouterr().out
    assert "3 sites, 30 patients" in out
    assert Site.objects.filter(slug__startswith="synth-").count() == 3
    assert Patient.objects.filter(registry_id__startswith="SY-").count() == 30
    responses = CheckinResponse.objects.count()
    assert 0 < responses < Invitation.objects.count()
    assert Score.objects.count() == 2 * responses
    # New rows after the bulk load get fresh ids (sequences moved past the copied ones).
    assert (
        Patient.objects.create(
            given_name="A",
            family_name="B",
            date_of_birth="1980-01-01",
            care_team=Patient.objects.first().care_team,
        ).pk
        == 31
    )
    view = measure_view(MEASURES["checkin-completion"], months=6)
    assert view.network.chart is not None


def test_it_refuses_to_generate_twice(db):
    call_command("registry-synth", "--sites", "1", "--patients", "2", "--weeks", "2")
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists already"):
        call_command("registry-synth", "--sites", "1", "--patients", "2", "--weeks", "2")
