from coproduce.audit.models import AuditEvent
from tests import factories


def _ids(response):
    assert response.status_code == 200, response.content
    return {p["registry_id"] for p in response.json()}


def test_it_shows_a_patient_only_herself(client, world):
    client.force_login(world.alice.user)
    res = client.get("/api/v1/patients/")
    assert _ids(res) == {world.alice.registry_id}
    assert res.json()[0]["care_team"] == {"name": "Pain team", "site": "North Clinic"}
    assert res.json()[0]["given_name"] == "Alice"


def test_it_shows_a_nurse_only_her_teams_patients(client, world):
    factories.make_patient(world.team_b, given_name="Bea")
    client.force_login(world.nina)
    assert _ids(client.get("/api/v1/patients/")) == {
        world.alice.registry_id,
        world.tom.registry_id,
    }


def test_it_shows_a_parent_her_child_only(client, world):
    client.force_login(world.paula)
    assert _ids(client.get("/api/v1/patients/")) == {world.tom.registry_id}


def test_it_shows_other_teams_researchers_and_qi_leads_nobody(client, world):
    for user in (world.carl, world.ruth, world.quinn, world.adam):
        client.force_login(user)
        assert _ids(client.get("/api/v1/patients/")) == set()


def test_it_audits_the_list_with_the_registry_ids(client, world):
    client.force_login(world.nina)
    client.get("/api/v1/patients/")
    event = AuditEvent.objects.get(event="patient.listed")
    assert event.actor == world.nina
    assert sorted(event.detail["registry_ids"]) == sorted(
        [world.alice.registry_id, world.tom.registry_id]
    )
    assert event.detail["page"] == "api patients"


def test_it_needs_a_login(client, world):
    assert client.get("/api/v1/patients/").status_code == 401
    assert client.get(f"/api/v1/patients/{world.alice.registry_id}/scores").status_code == 401


def test_it_lists_a_patients_scores_for_herself_and_her_nurse(client, world, answered):
    for user in (world.alice.user, world.nina):
        client.force_login(user)
        res = client.get(f"/api/v1/patients/{world.alice.registry_id}/scores")
        assert res.status_code == 200, res.content
        by_instrument = {s["instrument_id"]: s for s in res.json()}
        assert set(by_instrument) == {"peg", "phq9"}
        assert by_instrument["peg"]["score"] == 5
        assert by_instrument["phq9"]["score"] == 16
        assert by_instrument["peg"]["questionnaire_response"] == f"{answered[0].pk}-peg"


def test_it_filters_scores_by_instrument(client, world, answered):
    client.force_login(world.nina)
    res = client.get(f"/api/v1/patients/{world.alice.registry_id}/scores?instrument=peg")
    assert [s["instrument_id"] for s in res.json()] == ["peg"]


def test_it_answers_forbidden_scores_exactly_like_missing_ones(client, world, answered):
    client.force_login(world.carl)
    missing = client.get("/api/v1/patients/CP-NOSUCH00/scores")
    for user, patient in (
        (world.carl, world.alice),
        (world.ruth, world.alice),
        (world.quinn, world.alice),
        (world.alice.user, world.tom),
        (world.paula, world.alice),
    ):
        client.force_login(user)
        res = client.get(f"/api/v1/patients/{patient.registry_id}/scores")
        assert (
            (res.status_code, res.json())
            == (missing.status_code, missing.json())
            == (
                404,
                {"detail": "Not Found"},
            )
        )
    assert not AuditEvent.objects.filter(event="patient.viewed").exists()


def test_it_audits_reading_scores(client, world, answered):
    client.force_login(world.paula)
    assert client.get(f"/api/v1/patients/{world.tom.registry_id}/scores").status_code == 200
    event = AuditEvent.objects.get(event="patient.viewed")
    assert (event.actor, event.patient, event.acting_for) == (world.paula, world.tom, world.tom)
    assert event.detail == {"page": "api scores"}
