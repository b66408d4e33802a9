from coproduce.audit.models import AuditEvent
from coproduce.audit.services import record


def test_it_lets_registry_admins_manage_sites_teams_and_users(client, world):
    client.force_login(world.adam)
    index = client.get("/admin/").content.decode()
    for label in ("Sites", "Care teams", "Users", "Programs", "Audit events", "Rules"):
        assert label in index, label
    assert client.get("/admin/people/site/add/").status_code == 200
    assert client.get(f"/admin/people/careteam/{world.team_a.pk}/change/").status_code == 200


def test_it_keeps_clinical_records_out_of_the_admin(client, world):
    client.force_login(world.adam)
    assert client.get("/admin/people/patient/").status_code == 404
    assert client.get("/admin/checkins/checkinresponse/").status_code == 404


def test_it_shows_audit_events_to_admins_read_only(client, world):
    event = record("patient.viewed", actor=world.nina, patient=world.alice)
    client.force_login(world.adam)
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"Save" not in page.content
    response = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_gives_other_roles_no_admin(client, world):
    for user in (world.nina, world.quinn, world.ruth, world.alice.user):
        client.force_login(user)
        assert client.get("/admin/people/site/").status_code == 302  # to the admin login


def test_it_shows_safety_net_rules_read_only_with_their_definition(client, world):
    from coproduce.safetynet.rules import sync_rules

    sync_rules()
    from coproduce.safetynet.models import Rule

    rule = Rule.objects.first()
    client.force_login(world.adam)
    page = client.get(f"/admin/safetynet/rule/{rule.pk}/change/")
    assert page.status_code == 200
    assert b"<pre>" in page.content and b"Save" not in page.content
