"""Care teams' and programs' names in the reader's language (platform/names.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from coproduce.checkins.models import Enrollment, Program
from coproduce.people.models import CareTeam

NAMES = {"es": "Equipo de dolor", "sv": "Smärtteamet"}


def test_the_name_is_shown_in_the_readers_language_else_as_entered(world):
    team = world.team_a
    team.names = NAMES
    for language, shown in [
        ("es", "Equipo de dolor"),
        ("es-mx", "Equipo de dolor"),  # a regional variant reads its language's name
        ("sv", "Smärtteamet"),
        ("en", "Pain team"),
        ("de", "Pain team"),  # no name in that language: the one entered
    ]:
        with translation.override(language):
            assert team.shown_name == shown, language
    team.names = {"es": "Equipo de dolor"}
    with translation.override("sv"):
        assert team.shown_name == "Pain team"


def test_names_are_cleaned_and_kept_only_for_offered_languages(world):
    team = world.team_a
    team.names = {"es": "  Equipo \x00de\n dolor ", "sv": "   "}
    team.full_clean()
    assert team.names == {"es": "Equipo de dolor"}  # spaces collapsed, NUL gone, empty dropped


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"de": "Schmerzteam"}, "“de” is not a language this system offers."),
        ({"en": "Pain team"}, "“en” is not a language this system offers."),  # that is `name`
        ({"es": 3}, "The Español name must be text."),
        ({"sv": "x" * 201}, "The Svenska name is longer than 200 characters."),
        (["es", "Equipo"], "Names in other languages must be a mapping."),
    ],
)
def test_bad_names_are_refused_with_a_clear_message_and_nothing_changes(world, names, message):
    team = world.team_a
    team.names = names
    with pytest.raises(ValidationError) as refused:
        team.full_clean()
    assert refused.value.messages == [message]
    assert CareTeam.objects.get(pk=team.pk).names == {}


def test_a_registry_admin_enters_a_teams_names_in_the_admin(client, world):
    client.force_login(world.adam)
    url = f"/admin/people/careteam/{world.team_a.pk}/change/"
    form = client.get(url).content.decode()
    assert "Name in Español" in form and "Name in Svenska" in form
    assert 'name="names"' not in form  # one field per language, not raw JSON
    counts = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
    management = {f"memberships-{k}": v for k, v in counts.items()}
    post = {"name": "Pain team", "site": world.team_a.site_id, **management}
    answer = client.post(url, {**post, "name_es": " Equipo de dolor ", "name_sv": ""})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    world.team_a.refresh_from_db()
    assert world.team_a.names == {"es": "Equipo de dolor"}
    again = client.get(url).content.decode()
    assert 'value="Equipo de dolor"' in again
    too_long = client.post(url, {**post, "name_sv": "x" * 201})
    assert too_long.status_code == 200 and "at most 200 characters" in too_long.content.decode()
    world.team_a.refresh_from_db()
    assert world.team_a.names == {"es": "Equipo de dolor"}


def test_a_spanish_patient_reads_her_team_and_program_in_spanish(client, world):
    world.team_a.names = NAMES
    world.team_a.save()
    program = Program.objects.create(
        slug="taper", name="Opioid taper", names={"es": "Reducción gradual de opioides"}
    )
    Enrollment.objects.create(patient=world.alice, program=program)
    world.alice.preferred_language = "es"
    world.alice.save(update_fields=["preferred_language"])
    client.force_login(world.alice.user)
    page = client.get("/", follow=True).content.decode()
    assert "Equipo de dolor" in page and "Reducción gradual de opioides" in page
    assert "Pain team" not in page and "Opioid taper" not in page
    client.force_login(world.nina)  # her nurse reads in English
    staff = client.get(f"/patients/{world.alice.registry_id}/").content.decode()
    assert "Pain team" in staff and "Opioid taper" in staff
