"""Allocation concealment holds in every door besides the pages: the JSON API, the FHIR
server (browser session and system token), the Django admin (the audit log included) and
the REDCap records export. Nobody who enrols sees an arm before eligibility and consent are
confirmed; only the unblinded statistician sees the list of allocations."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.platform import clock
from coproduce.research import access
from coproduce.research.followup import randomise_and_start
from coproduce.research.participants import Allocation
from tests import factories
from tests.interop.test_apiclient import _token, bearer, create
from tests.research.helpers import consented, eligible, lapse_consent, screened
from tests.safetynet.factories import checkin

FHIR = "/fhir/R4/"
CLINICAL = ("Observation", "QuestionnaireResponse", "Goal", "CarePlan", "MedicationStatement")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _doors(client: Client, registry_id: str, **auth) -> dict[str, tuple[int, str]]:
    """(status, body) of every API door that could show something of this patient."""
    urls = {
        "api patients": "/api/v1/patients/",
        "api scores": f"/api/v1/patients/{registry_id}/scores",
        "fhir Patient": f"{FHIR}Patient/{registry_id}",
        "fhir Patient search": f"{FHIR}Patient",
    }
    urls |= {f"fhir {r}": f"{FHIR}{r}?patient={registry_id}&_count=100" for r in CLINICAL}
    found = {}
    for name, url in urls.items():
        res = client.get(url, **auth)
        found[name] = (res.status_code, res.content.decode())
    return found


@pytest.fixture
def randomised(world, trial):
    """Alice randomised (with a check-in); Bob screened and eligible, not consented."""
    world.cora.memberships.all().delete()  # a coordinator who is not on the care team
    alice = consented(trial, world.alice, world.cora)
    allocation = randomise_and_start(alice, by=world.cora)
    checkin(world.alice, scores={"peg": 4.0})
    bob = factories.make_patient(world.team_a, given_name="Bob")
    checkin(bob, scores={"peg": 6.0})
    eligible(screened(trial, bob, world.cora), world.cora)
    return {"alice": alice, "bob": bob, "arm": allocation.arm}


def _arm_words(trial) -> list[str]:
    return [a.name for a in (trial.cbt, trial.sm, trial.taper)] + ["allocation", "arm_id"]


def test_the_api_doors_hide_a_participant_until_consent(world, trial, randomised):
    cora = _client(world.cora)
    bob = randomised["bob"].registry_id
    for name, (status, body) in _doors(cora, bob).items():
        assert bob not in body, name
        assert status in (200, 404), name
    for name, (status, body) in _doors(cora, world.alice.registry_id).items():
        assert status == 200, (name, body[:300])


def test_no_api_door_shows_an_arm_or_an_allocation(world, trial, randomised):
    users = (world.cora, trial.stat, trial.pi, world.ruth, world.nina)
    for user in users:
        for name, (_status, body) in _doors(_client(user), world.alice.registry_id).items():
            for word in _arm_words(trial):
                assert word.lower() not in body.lower(), (user.username, name, word)


def test_a_system_token_of_the_coordinator_sees_no_arm_and_no_unconsented_patient(
    client, world, trial, randomised
):
    made = create(user=world.cora.username, scope="system/*.read")
    token = bearer(_token(client, made, "system/*.read"))
    # Tokens are for the FHIR server (the JSON API answers 401 to them).
    doors = {k: v for k, v in _doors(client, world.alice.registry_id, **token).items()
             if k.startswith("fhir")}  # fmt: skip
    assert all(status == 200 for status, _body in doors.values()), doors
    for name, (_status, body) in doors.items():
        assert not any(w.lower() in body.lower() for w in _arm_words(trial)), name
    bob = randomised["bob"].registry_id
    for name, (_status, body) in _doors(client, bob, **token).items():
        assert bob not in body, name


def test_the_statistician_pi_and_researcher_see_no_patient_through_the_apis(
    world, trial, randomised
):
    for user in (trial.stat, trial.pi, world.ruth):
        doors = _doors(_client(user), world.alice.registry_id)
        assert json.loads(doors["api patients"][1]) == []
        assert json.loads(doors["fhir Patient search"][1])["total"] == 0
        for name in ("api scores", "fhir Patient", *(f"fhir {r}" for r in CLINICAL)):
            assert doors[name][0] == 404, (user.username, name)


def test_the_admin_and_its_audit_log_show_no_arm_or_list(world, trial, randomised):
    admin = _client(world.adam)
    allocation = Allocation.objects.get(participant=randomised["alice"])
    pages = [
        "/admin/",
        "/admin/research/",
        "/admin/audit/auditevent/?event=research.randomised",
        "/admin/audit/auditevent/?event=research.arm_viewed",
    ]
    for event in AuditEvent.objects.filter(event__startswith="research."):
        pages.append(reverse("admin:audit_auditevent_change", args=[event.pk]))
    other_arms = {trial.cbt.name, trial.sm.name, trial.taper.name}
    for url in pages:
        res = admin.get(url)
        assert res.status_code in (200, 404), url
        html = res.content.decode()
        # The arm names appear nowhere: not in the allocation's audit row, nor its detail.
        assert not any(f">{name}<" in html or f'"{name}"' in html for name in other_arms), url
    for url in (
        "/admin/research/allocation/",
        f"/admin/research/allocation/{allocation.pk}/change/",
        "/admin/research/stratumcounter/",
        "/admin/research/participant/",
        "/admin/research/consent/",
    ):
        assert admin.get(url).status_code == 404, url


def test_the_redcap_study_export_carries_no_arm(world, trial, randomised, tmp_path):
    out = tmp_path / "records.csv"
    call_command("redcap", "records", "--study", trial.study.slug, "--out", str(out),
                 stdout=io.StringIO())  # fmt: skip
    text = out.read_text()
    header = text.splitlines()[0].lower()
    assert "arm" not in header.split(",") and "allocation" not in header
    assert not any(f",{name}," in text for name in _arm_words(trial))


def test_sessions_are_hidden_with_the_arm_while_consent_lapses(world, trial, randomised):
    three_days_ago = clock.now() - dt.timedelta(days=3)  # the first session is this week
    while True:  # someone in a behavioural arm (2 in 3 are)
        p = consented(trial, factories.make_patient(world.team_a), world.cora)
        if randomise_and_start(p, by=world.cora, now=three_days_ago).arm.sessions:
            break
    url = reverse("research:participant", args=[trial.study.slug, p.pk])
    workspace = reverse("research:study", args=[trial.study.slug])
    cora = _client(world.cora)
    assert 'id="sessions"' in cora.get(url).content.decode()
    assert p in [s.participant for s in cora.get(workspace).context["sessions"]]
    lapse_consent(trial)
    html = cora.get(url).content.decode()
    assert 'id="arm"' not in html
    # How many sessions someone has (CBT 8, self-management 6, none) would tell the arm.
    assert 'id="sessions"' not in html
    assert cora.get(workspace).context["sessions"] == []
    # The unblinded statistician's rule is the same as for the arm: always.
    assert access.arms_shown_among(trial.stat, [p]) == {p.pk}
    assert access.arms_shown_among(trial.pi, [p]) == set()


def test_only_the_statistician_sees_the_allocation_list(world, trial, randomised):
    url = reverse("research:allocations", args=[trial.study.slug])
    assert _client(trial.stat).get(url).status_code == 200
    others = (world.cora, trial.pi, world.ruth, world.nina, world.adam, world.alice.user)
    for user in others:
        assert _client(user).get(url).status_code == 404, user.username
    # A statistician of another study does not see this one's list.
    other = factories.make_user(trial.stat.role, username="sven")
    assert _client(other).get(url).status_code == 404
