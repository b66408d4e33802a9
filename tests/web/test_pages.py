from coproduce.audit.models import AuditEvent
from tests import factories


def test_it_shows_a_patient_page_to_their_team_and_audits_it(client, world):
    client.force_login(world.nina)
    response = client.get(f"/patients/{world.alice.registry_id}/")
    assert response.status_code == 200
    assert b"Alice" in response.content
    assert (
        AuditEvent.objects.filter(
            event="patient.viewed", actor=world.nina, patient=world.alice
        ).count()
        == 1
    )


def test_it_answers_404_for_another_teams_patient(client, world):
    client.force_login(world.carl)
    assert client.get(f"/patients/{world.alice.registry_id}/").status_code == 404
    assert client.get("/patients/CP-DOESNOT/").status_code == 404


def test_it_answers_404_when_a_patient_opens_another_patients_page(client, world):
    other = factories.make_patient(world.team_a)
    client.force_login(world.alice.user)
    assert client.get(f"/patients/{other.registry_id}/").status_code == 404


def test_it_lets_a_parent_open_their_childs_page(client, world):
    client.force_login(world.paula)
    assert client.get(f"/patients/{world.tom.registry_id}/").status_code == 200
    assert client.get(f"/patients/{world.alice.registry_id}/").status_code == 404


def test_it_audits_the_team_list_with_the_ids_shown(client, world):
    client.force_login(world.nina)
    client.get("/team/patients/")
    event = AuditEvent.objects.get(event="patient.listed")
    assert set(event.detail["registry_ids"]) == {world.alice.registry_id, world.tom.registry_id}


def test_it_never_puts_database_keys_in_patient_urls(client, world):
    client.force_login(world.nina)
    body = client.get("/team/patients/").content.decode()
    assert f"/patients/{world.alice.pk}/" not in body
    assert f"/patients/{world.alice.registry_id}/" in body


def test_it_lets_only_registry_admins_search_the_audit_log(client, world):
    client.force_login(world.nina)
    assert client.get("/audit/").status_code == 404
    client.force_login(world.adam)
    response = client.get("/audit/", {"patient": world.alice.registry_id})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(event="audit.searched", actor=world.adam).exists()


def test_it_explains_a_bad_audit_date_range(client, world):
    client.force_login(world.adam)
    response = client.get("/audit/", {"since": "2026-05-01", "until": "2026-01-01"})
    assert b"on or before" in response.content


def test_it_opens_the_django_admin_only_to_registry_admins(client, world):
    client.force_login(world.nina)
    assert client.get("/admin/").status_code == 302
    client.force_login(world.adam)
    assert client.get("/admin/").status_code == 200


def test_it_shows_qi_leads_aggregates_with_small_cells_suppressed(client, world):
    for _ in range(5):
        factories.make_patient(world.team_b)
    client.force_login(world.quinn)
    body = client.get("/registry/").content.decode()
    assert "fewer than 5" in body  # North Clinic has 2 chronic pain patients
    assert ">5<" in body  # South Clinic has 5
    assert "Alice" not in body
