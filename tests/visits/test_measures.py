"""Disease activity entered at the visit: joint counts, labs, globals, HBI and PUCAI."""

import re

import pytest

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Role
from tests import factories

TENDER = ["R-wrist", "L-wrist", "R-mcp2", "L-knee"]
SWOLLEN = ["R-wrist", "L-wrist", "R-pip3"]
# CLINICAL.md's formulas; the worked example of tests/instruments/test_indices.py:
# 4 tender, 3 swollen, ESR 30, CRP 10 mg/L, patient global 5 (50 mm), evaluator 4.
FORM = {
    "tender": TENDER,
    "swollen": SWOLLEN,
    "esr": "30",
    "crp_mg_l": "10",
    "ptga": "5",
    "evga": "4",
}


@pytest.fixture
def doc(world):
    return factories.make_user(Role.CLINICIAN, teams=[world.team_a])


def _url(patient, rest="joints/"):
    return f"/patients/{patient.registry_id}/measures/{rest}"


def test_it_computes_every_ra_index_on_the_server_as_values_are_entered(client, world, doc):
    client.force_login(doc)
    page = client.post(
        _url(world.alice), {**FORM, "action": "calculate"}, headers={"X-Requested-With": "fetch"}
    )
    body = page.content.decode()
    assert page.status_code == 200 and "<html" not in body  # only the computed part
    assert "Tender joints: <strong>4</strong>" in body
    assert ">4.69<" in body and ">4.13<" in body  # DAS28-ESR, DAS28-CRP
    assert ">16.0<" in body and ">17.0<" in body  # CDAI 4+3+5+4; SDAI + 1.0 mg/dL
    assert "Moderate disease activity" in body
    assert not CheckinResponse.objects.exists()


def test_it_says_what_an_index_still_needs(client, world, doc):
    client.force_login(doc)
    body = client.post(_url(world.alice), {"tender": TENDER, "action": "calculate"}).content
    assert b"needs ESR and the patient global" in body and b"needs CRP and both globals" in body


def test_it_saves_the_indices_with_who_entered_them_and_the_dashboard_shows_them(
    client, world, doc
):
    client.force_login(doc)
    saved = client.post(_url(world.alice), {**FORM, "action": "save", "key": "k1"})
    assert saved.status_code == 302
    response = CheckinResponse.objects.get(patient=world.alice)
    assert (response.submitted_by, response.source) == (doc, "clinic")
    scores = dict(Score.objects.filter(response=response).values_list("instrument_id", "score"))
    assert scores == {"das28-esr": 4.69, "das28-crp": 4.13, "cdai": 16, "sdai": 17.0}
    # The same key again (a double click) stores nothing more.
    client.post(_url(world.alice), {**FORM, "action": "save", "key": "k1"})
    assert CheckinResponse.objects.count() == 1
    dashboard = client.get(f"/patients/{world.alice.registry_id}/dashboard/").content.decode()
    assert _url(world.alice) in dashboard  # the team reaches the form from the dashboard
    # Each index's score card shows the stored value (not just a link or a heading).
    for short, value in (("DAS28-ESR", "4.7"), ("CDAI", "16"), ("SDAI", "17")):
        card = re.search(
            rf"\({re.escape(short)}\)</span></h3>\s*<p class=\"score-now\"><span class=\"value\">"
            r"([^<]+)</span>",
            dashboard,
        )
        assert card is not None and card.group(1) == value, short


def test_it_refuses_unknown_joints_and_out_of_range_values_and_stores_nothing(client, world, doc):
    client.force_login(doc)
    bad_joint = client.post(_url(world.alice), {**FORM, "tender": ["R-toe"], "action": "save"})
    assert b"not one of the 28 joints" in bad_joint.content
    too_high = client.post(_url(world.alice), {**FORM, "ptga": "11", "action": "save", "key": "x"})
    assert too_high.status_code == 400
    assert not CheckinResponse.objects.exists()


def test_the_hbi_and_pucai_forms_score_and_save(client, world, doc):
    client.force_login(doc)
    hbi = {"wellbeing": "1", "abdominal_pain": "1", "liquid_stools": "3", "abdominal_mass": "0"}
    computed = client.post(
        _url(world.alice, "hbi/"), {**hbi, "uveitis": "true", "action": "calculate"}
    )
    assert b">6<" in computed.content and b"Mild disease" in computed.content  # 1+1+3+0+1
    client.post(_url(world.alice, "hbi/"), {**hbi, "action": "save", "key": "h"})
    pucai = {
        "abdominal_pain": "5",
        "rectal_bleeding": "0",
        "stool_consistency": "0",
        "stools_per_24h": "5",
        "nocturnal_stools": "0",
        "activity_level": "0",
    }
    page = client.get(_url(world.alice, "pucai/"))
    assert page.status_code == 200
    client.post(_url(world.alice, "pucai/"), {**pucai, "action": "save", "key": "p"})
    assert set(Score.objects.values_list("instrument_id", "score")) == {("hbi", 5), ("pucai", 10)}


def test_only_the_patients_team_opens_the_forms(client, world, doc):
    for user in (world.alice.user, world.carl, world.ruth):
        client.force_login(user)
        assert client.get(_url(world.alice)).status_code == 404
        assert client.get(_url(world.alice, "hbi/")).status_code == 404
    client.force_login(world.nina)
    assert client.get(_url(world.alice)).status_code == 200
    assert client.get(_url(world.alice, "cdai/")).status_code == 404
