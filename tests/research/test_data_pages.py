"""Outcome, export and data-quality pages: who sees what, approval, download, queries."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from coproduce.audit.models import AuditEvent
from coproduce.people.models import Role
from coproduce.platform import clock
from coproduce.research import followup, quality
from coproduce.research.datamodels import DataQuery, ExportRequest
from coproduce.research.models import StudyStaff
from coproduce.research.outcomes import TAPERING_SUCCESS
from tests import factories
from tests.registry.helpers import score
from tests.research.conftest import make_study
from tests.research.helpers import consented


@pytest.fixture
def joined(trial, world):
    trial.study.outcomes = [TAPERING_SUCCESS]
    trial.study.save(update_fields=["outcomes"])
    p = consented(trial, world.alice, world.cora)
    followup.randomise_and_start(p, by=world.cora)
    p.refresh_from_db()
    return p


def _ask(client, ruth, slug="empower"):
    client.force_login(ruth)
    return client.post(
        f"/research/studies/{slug}/exports/request/",
        {"purpose": "Secondary analysis of pain", "fmt": "csv"},
    )


def test_a_researcher_downloads_only_after_the_pi_approves(client, trial, world, joined):
    _ask(client, world.ruth)
    request = ExportRequest.objects.get()
    url = f"/research/studies/empower/exports/{request.pk}/download/"
    assert client.get(url).status_code == 404
    client.force_login(trial.pi)
    page = client.get("/research/studies/empower/exports/")
    assert b"Secondary analysis of pain" in page.content
    client.post(f"/research/studies/empower/exports/{request.pk}/decide/", {"decision": "approve"})
    client.force_login(world.ruth)
    response = client.get(url)
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"participants.csv", "data_dictionary.csv", "manifest.json"} <= set(names)
    body = zipfile.ZipFile(io.BytesIO(response.content)).read("participants.csv").decode()
    assert world.alice.registry_id not in body and "Alice" not in body
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"research.export_requested", "research.export_decided"} <= events
    assert AuditEvent.objects.get(event="research.export_downloaded").actor == world.ruth


def test_another_researcher_cannot_download_or_decide(client, trial, world, joined):
    _ask(client, world.ruth)
    request = ExportRequest.objects.get()
    other = factories.make_user(Role.RESEARCHER, username="rex")
    StudyStaff.objects.create(study=trial.study, user=other)
    client.force_login(trial.pi)
    client.post(f"/research/studies/empower/exports/{request.pk}/decide/", {"decision": "approve"})
    client.force_login(other)
    assert (
        client.get(f"/research/studies/empower/exports/{request.pk}/download/").status_code == 404
    )
    assert b"Secondary analysis" not in client.get("/research/studies/empower/exports/").content
    # A researcher cannot approve, and a PI of another study does not see the request.
    pi2 = factories.make_user(Role.INVESTIGATOR, username="pib")
    StudyStaff.objects.create(study=make_study(world.team_a.site, slug="other"), user=pi2)
    client.force_login(pi2)
    assert client.get("/research/studies/empower/exports/").status_code == 404


def test_a_researcher_off_the_study_sees_nothing(client, trial, world, joined):
    outsider = factories.make_user(Role.RESEARCHER, username="olle")
    client.force_login(outsider)
    for path in ("exports/", "outcomes/", "exports/dictionary.csv"):
        assert client.get(f"/research/studies/empower/{path}").status_code == 404


def test_researchers_see_aggregates_and_coordinators_each_participant(client, world, joined):
    client.force_login(world.ruth)
    page = client.get("/research/studies/empower/outcomes/").content.decode()
    assert "fewer than 5" in page
    assert "Alice" not in page and world.alice.registry_id not in page
    assert client.get("/research/studies/empower/quality/").status_code == 404
    client.force_login(world.cora)
    page = client.get("/research/studies/empower/outcomes/").content.decode()
    assert world.alice.display_name in page and "Not yet due" in page


def test_the_data_dictionary_lists_every_file(client, world, joined):
    client.force_login(world.ruth)
    text = client.get("/research/studies/empower/exports/dictionary.csv").content.decode()
    for name in ("participants", "assessments", "scores", "outcomes", "medications", "visits"):
        assert f"\n{name}," in text


def test_the_rules_raise_each_query_once_and_the_coordinator_closes_it(
    client, trial, world, joined
):
    now = clock.now()
    # Two answers on one day at the clinic, before now, whatever the hour of the run.
    local = timezone.localtime(now, world.alice.care_team.site.zone)
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = (
        now - dt.timedelta(hours=3)
        if since_midnight > dt.timedelta(hours=3)
        else (now - since_midnight - dt.timedelta(hours=3))
    )
    score(world.alice, "peg", first, value=14)
    score(world.alice, "peg", first + dt.timedelta(hours=1), value=4)
    new = quality.run_checks(trial.study, now=now)
    rules = sorted(q.rule for q in new)
    assert rules == ["duplicate", "out_of_range"]
    assert quality.run_checks(trial.study, now=now) == []
    query = DataQuery.objects.get(rule="out_of_range")
    client.force_login(world.cora)
    page = client.get("/research/studies/empower/quality/").content.decode()
    assert "outside 0-10" in page
    client.post(
        f"/research/studies/empower/quality/{query.pk}/answer/",
        {"answer": "Typo on paper form: 4", "close": "yes"},
    )
    query.refresh_from_db()
    assert (query.status, query.answer, query.answered_by) == (
        "closed",
        "Typo on paper form: 4",
        world.cora,
    )
    assert quality.run_checks(trial.study, now=now) == []  # closed stays closed
    # A coordinator of another site does not see it.
    other = factories.make_user(Role.COORDINATOR, username="carla")
    StudyStaff.objects.create(study=trial.study, user=other, site=world.team_b.site)
    client.force_login(other)
    assert (
        client.post(
            f"/research/studies/empower/quality/{query.pk}/answer/", {"answer": "x"}
        ).status_code
        == 404
    )


def test_a_study_without_outcome_definitions_shows_none(client, trial, world):
    client.force_login(world.ruth)
    page = client.get("/research/studies/empower/outcomes/").content.decode()
    assert "no outcome defined" in page and "Wilson" not in page
