"""Who sees what of the panel: members their own things, study staff the feedback, patients
nothing. Forbidden answers 404 like missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coproduce.people.models import Role
from coproduce.research import panel
from tests import factories


def _team_urls(advisory):
    slug = advisory.panel.study.slug
    return [
        reverse("research:panel", args=[slug]),
        reverse("research:material", args=[slug, advisory.version.material.pk]),
    ]


def test_study_staff_see_the_panel_and_its_feedback(client, world, trial, advisory):
    for user in (world.cora, trial.pi, trial.stat, world.ruth):
        client.force_login(user)
        for url in _team_urls(advisory):
            assert client.get(url).status_code == 200, (user.role, url)


def test_patients_members_and_other_staff_never_see_the_team_pages(client, world, advisory):
    outsider = factories.make_user(Role.COORDINATOR, username="other-coordinator")
    for user in (world.alice.user, advisory.pat.user, world.carl, world.nina, outsider):
        client.force_login(user)
        for url in _team_urls(advisory):
            assert client.get(url).status_code == 404, (user.username, url)


def test_patients_and_staff_never_see_a_members_pages(client, world, advisory):
    panel.send_survey(advisory.survey, by=None)
    url = reverse("panel-survey-member", args=[advisory.pat.invitations.get().pk])
    for user in (world.alice.user, world.cora, world.nina):
        client.force_login(user)
        assert client.get(reverse("panel-home")).status_code == 404
        assert client.get(url).status_code == 404


def test_a_member_sees_only_their_own_surveys(client, advisory):
    panel.send_survey(advisory.survey, by=None)
    theirs = reverse("panel-survey-member", args=[advisory.lee.invitations.get().pk])
    client.force_login(advisory.pat.user)
    assert client.get(theirs).status_code == 404
    assert client.post(theirs, {"clear": "Yes"}).status_code == 404
    assert not advisory.lee.invitations.filter(completed_at__isnull=False).exists()
    assert b"Lee Panel" not in client.get(reverse("panel-home")).content


@pytest.mark.parametrize("name", ["research:incentives"])
def test_members_and_patients_never_see_the_ledger(client, world, advisory, name):
    url = reverse(name, args=[advisory.panel.study.slug])
    for user in (world.alice.user, advisory.pat.user, world.ruth):
        client.force_login(user)
        assert client.get(url).status_code == 404
