"""Every research page: each role sees what it may and nothing more (forbidden = 404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from coproduce.checkins.tokens import LinkRefused
from coproduce.people.access import patients_visible_to
from coproduce.people.models import Role
from coproduce.platform import clock
from coproduce.research import consent
from coproduce.research.followup import randomise_and_start
from coproduce.research.models import ConsentDocument, Signer, StudyStaff
from coproduce.research.participants import Allocation
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.services import alerts_visible_to
from tests import factories
from tests.research.helpers import consented, lapse_consent, screened
from tests.safetynet.factories import checkin


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def people(world, trial):
    """Everyone, plus a coordinator of another study and a participant randomised."""
    outsider = factories.make_user(Role.COORDINATOR, username="otto")
    other_site_coord = factories.make_user(Role.COORDINATOR, username="olga")
    StudyStaff.objects.create(study=trial.study, user=other_site_coord, site=world.team_b.site)
    trial.study.sites.add(world.team_b.site)
    p = consented(trial, world.alice, world.cora)
    randomise_and_start(p, by=world.cora)
    return {
        "coordinator": world.cora,
        "pi": trial.pi,
        "statistician": trial.stat,
        "researcher": world.ruth,
        "nurse": world.nina,
        "patient": world.alice.user,
        "admin": world.adam,
        "qi": world.quinn,
        "outsider": outsider,
        "other-site": other_site_coord,
        "participant": p,
    }


def _urls(study, p, doc):
    slug = study.slug
    return {
        "studies": ("get", reverse("research:studies")),
        "study": ("get", reverse("research:study", args=[slug])),
        "consort": ("get", reverse("research:consort", args=[slug])),
        "screening": ("get", reverse("research:screening", args=[slug])),
        "participant": ("get", reverse("research:participant", args=[slug, p.pk])),
        "action": ("post", reverse("research:participant-action", args=[slug, p.pk, "contact"])),
        "screen": ("post", reverse("research:screen", args=[slug])),
        "allocations": ("get", reverse("research:allocations", args=[slug])),
        "sign-off": ("post", reverse("research:sign-off", args=[slug, doc.pk])),
    }


# Which pages answer (not 404) for whom; everything else must be 404 (or the login page).
ALLOWED = {
    "coordinator": {"studies", "study", "consort", "screening", "participant", "action", "screen"},
    "pi": {"studies", "study", "consort", "sign-off"},
    "statistician": {"studies", "study", "consort", "allocations"},
    "researcher": {"studies", "study", "consort"},
    "nurse": set(),
    "patient": set(),
    "admin": set(),
    "qi": set(),
    "outsider": {"studies"},
    "other-site": {"studies", "study", "consort", "screening", "screen"},
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_each_role_reaches_only_its_pages(people, trial, who):
    doc = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="1.1",
        approved_on=dt.date(2026, 2, 1),
        title="v1.1",
        body="x",
    )
    client = _client(people[who])
    for name, (method, url) in _urls(trial.study, people["participant"], doc).items():
        data = {"outcome": "reached", "registry_id": "CP-NOBODY"} if method == "post" else None
        response = getattr(client, method)(url, data)
        if name in ALLOWED[who]:
            expected = {200, 302}
            if name == "screen":
                expected = {404}  # nobody called CP-NOBODY, for anyone
            assert response.status_code in expected, (who, name, response.status_code)
        else:
            assert response.status_code == 404, (who, name, response.status_code)


def test_anonymous_visitors_are_sent_to_log_in(people, trial):
    response = Client().get(reverse("research:study", args=[trial.study.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_arm_shows_to_the_coordinator_and_statistician_only(people, trial):
    p = people["participant"]
    arm = Allocation.objects.get(participant=p).arm.name
    page = _client(people["coordinator"]).get(
        reverse("research:participant", args=[trial.study.slug, p.pk])
    )
    assert f'id="arm">{arm}<' in page.content.decode()
    listing = _client(people["statistician"]).get(
        reverse("research:allocations", args=[trial.study.slug])
    )
    assert arm in listing.content.decode()
    for who in ("pi", "researcher"):
        for name in ("study", "consort"):
            html = _client(people[who]).get(reverse(f"research:{name}", args=[trial.study.slug]))
            assert 'id="arm"' not in html.content.decode()


def test_the_coordinator_sees_the_arm_only_while_consent_holds(people, trial):
    p = people["participant"]
    lapse_consent(trial)
    page = _client(people["coordinator"]).get(
        reverse("research:participant", args=[trial.study.slug, p.pk])
    )
    assert 'id="arm"' not in page.content.decode()


def test_the_coordinator_sees_participants_not_the_teams_alerts(world, people, trial):
    cora = people["coordinator"]
    # Cora is on team A in the World (the site made her a care-team member): she sees it all.
    assert set(patients_visible_to(cora)) >= {world.alice, world.tom}
    response, scores = checkin(world.alice, scores={"phq9": 14}, items={"phq9": {"phq9-9": 2}})
    evaluate_and_record(response, scores)
    assert alerts_visible_to(cora).exists() and alerts_visible_to(world.nina).exists()
    cora.memberships.all().delete()
    visible = set(patients_visible_to(cora))
    assert visible == {world.alice}  # consented participant of her site only
    assert not alerts_visible_to(cora).exists()
    assert alerts_visible_to(world.nina).exists()
    other = factories.make_patient(world.team_a)
    screened(trial, other, cora)  # screened, not consented: not visible
    assert set(patients_visible_to(cora)) == {world.alice}
    home = _client(cora).get(reverse("home"))
    assert home["Location"] == reverse("research:studies")


def test_patient_data_stays_hidden_from_pi_and_statistician(world, people):
    for who in ("pi", "statistician", "researcher"):
        assert not patients_visible_to(people[who]).exists()


def test_the_admin_shows_no_allocation_or_seed(people, trial):
    client = _client(people["admin"])
    page = client.get(reverse("admin:research_study_change", args=[trial.study.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert trial.study.randomisation_seed not in html
    assert "allocation" not in html.lower()
    assert client.get("/admin/research/allocation/").status_code == 404
    assert client.get("/admin/research/participant/").status_code == 404


def test_a_signing_link_opens_without_login_and_only_once(world, trial):
    p = screened(trial, world.alice, world.cora)
    token = consent.issue_link(p, Signer.ADULT, by=world.cora)
    client = Client()
    url = reverse("consent-sign", args=[token])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"typed_name": "", "agreed": ""})
    assert bad.status_code == 400 and "Type your full name" in bad.content.decode()
    ok = client.post(url, {"typed_name": "Alice Example", "agreed": "yes"}, HTTP_USER_AGENT="Phone")
    assert ok.status_code == 302
    copy = client.get(reverse("consent-copy", args=[token]))
    assert copy.status_code == 200 and copy["Content-Type"] == "application/pdf"
    assert client.get(url).status_code == 302  # to the signed page, not the form
    assert client.get(reverse("consent-sign", args=["y" * 43])).status_code == 404
    later = clock.now() + dt.timedelta(hours=consent.COPY_HOURS + 1)
    with pytest.raises(LinkRefused):
        consent.copy_for_token(token, now=later)
