"""Registry admins in the Django admin: no one grants themselves a care role or a care team,
role and team changes are audited, and patients are not listed."""

from __future__ import annotations

from coproduce.audit.models import AuditEvent
from coproduce.people.models import CareTeamMembership, Role
from tests import factories


def _user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "is_active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def _team_form(team, *members) -> dict:
    data = {
        "name": team.name,
        "site": team.site_id,
        "memberships-TOTAL_FORMS": str(len(members)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, member in enumerate(members):
        data[f"memberships-{n}-user"] = member.pk
        data[f"memberships-{n}-care_team"] = team.pk
    return data


def test_a_registry_admin_cannot_make_themselves_a_clinician(client, world):
    client.force_login(world.adam)
    page = client.get(f"/admin/people/user/{world.adam.pk}/change/").content.decode()
    assert 'name="role"' not in page  # shown, not editable
    client.post(
        f"/admin/people/user/{world.adam.pk}/change/", _user_form(world.adam, role=Role.CLINICIAN)
    )
    world.adam.refresh_from_db()
    assert world.adam.role == Role.REGISTRY_ADMIN
    assert not AuditEvent.objects.filter(event="user.role_changed").exists()


def test_a_registry_admin_cannot_join_a_care_team(client, world):
    client.force_login(world.adam)
    page = client.post(
        f"/admin/people/careteam/{world.team_a.pk}/change/", _team_form(world.team_a, world.adam)
    )
    assert page.status_code == 200  # the form again, with the reason
    assert "You cannot add yourself to a care team" in page.content.decode()
    assert not CareTeamMembership.objects.filter(user=world.adam).exists()
    # Nor through their own user page: the memberships there are read-only.
    own = client.get(f"/admin/people/user/{world.adam.pk}/change/").content.decode()
    assert "memberships-0-care_team" not in own


def test_another_admin_grants_the_role_and_the_team_and_both_are_audited(client, world):
    ada = factories.make_user(Role.REGISTRY_ADMIN, username="ada")
    client.force_login(world.adam)
    saved = client.post(
        f"/admin/people/user/{ada.pk}/change/", _user_form(ada, role=Role.CLINICIAN)
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    ada.refresh_from_db()
    assert ada.role == Role.CLINICIAN
    changed = AuditEvent.objects.get(event="user.role_changed")
    assert (changed.actor, changed.object_id) == (world.adam, str(ada.pk))
    assert changed.detail == {"from": Role.REGISTRY_ADMIN, "to": Role.CLINICIAN, "source": "admin"}
    joined = client.post(
        f"/admin/people/careteam/{world.team_a.pk}/change/", _team_form(world.team_a, ada)
    )
    assert joined.status_code == 302
    membership = CareTeamMembership.objects.get(user=ada)
    added = AuditEvent.objects.get(event="careteam.member_added")
    assert added.actor == world.adam and added.detail == {
        "team": world.team_a.pk,
        "source": "admin",
    }
    removed = client.post(
        f"/admin/people/careteam/{world.team_a.pk}/change/",
        {
            **_team_form(world.team_a),
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": membership.pk,
            "memberships-0-user": ada.pk,
            "memberships-0-care_team": world.team_a.pk,
            "memberships-0-DELETE": "on",
        },
    )
    assert removed.status_code == 302
    assert not CareTeamMembership.objects.filter(user=ada).exists()
    assert AuditEvent.objects.filter(event="careteam.member_removed", actor=world.adam).count() == 1


def test_the_user_list_does_not_show_patients(client, world):
    client.force_login(world.adam)
    alice = world.alice.user
    listed = client.get("/admin/people/user/").content.decode()
    assert "nina" in listed and alice.username not in listed
    found = client.get("/admin/people/user/", {"q": alice.username}).content.decode()
    assert f"/admin/people/user/{alice.pk}/change/" not in found
    assert client.get(f"/admin/people/user/{alice.pk}/change/").status_code == 302  # not found


def _approve(client, *mappings):
    return client.post(
        "/admin/accounts/claimmapping/",
        {"action": "approve", "_selected_action": [m.pk for m in mappings]},
        follow=True,
    )


def test_a_registry_admin_cannot_approve_a_claim_mapping_they_wrote(client, world):
    """Writing 'my group -> clinician on team A' and approving it would make the admin a
    clinician at their next single sign-on login: another admin must approve it."""
    from coproduce.accounts.models import ClaimMapping

    # Claim mappings are kept by the admins who run the system (superusers).
    root = factories.make_user(Role.REGISTRY_ADMIN, username="root", is_superuser=True)
    ada = factories.make_user(Role.REGISTRY_ADMIN, username="ada", is_superuser=True)
    client.force_login(root)
    added = client.post(
        "/admin/accounts/claimmapping/add/",
        {
            "claim": "groups",
            "value": "adam-group",
            "role": Role.CLINICIAN,
            "care_team": world.team_a.pk,
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    own = ClaimMapping.objects.get(value="adam-group")
    assert own.created_by == root
    theirs = ClaimMapping.objects.create(
        claim="groups", value="nurses", role=Role.NURSE, created_by=ada
    )
    page = _approve(client, own, theirs).content.decode()
    assert "Nothing was approved: you wrote groups=adam-group" in page
    assert ClaimMapping.objects.filter(approved_at__isnull=False).count() == 0  # not even theirs
    refused = AuditEvent.objects.get(event="claim_mapping.approval_refused")
    assert refused.actor == root and refused.detail["mappings"] == ["groups=adam-group"]
    # Another admin may approve it.
    client.force_login(ada)
    _approve(client, own)
    own.refresh_from_db()
    assert own.approved_by == ada
    assert AuditEvent.objects.filter(event="claim_mapping.approved", actor=ada).count() == 1


def test_editing_a_mapping_makes_the_editor_its_writer(client, world):
    from coproduce.accounts.models import ClaimMapping

    root = factories.make_user(Role.REGISTRY_ADMIN, username="root", is_superuser=True)
    ada = factories.make_user(Role.REGISTRY_ADMIN, username="ada", is_superuser=True)
    mapping = ClaimMapping.objects.create(
        claim="groups", value="nurses", role=Role.NURSE, created_by=ada
    )
    client.force_login(root)
    client.post(
        f"/admin/accounts/claimmapping/{mapping.pk}/change/",
        {"claim": "groups", "value": "nurses", "role": Role.CLINICIAN, "care_team": ""},
    )
    mapping.refresh_from_db()
    assert (mapping.role, mapping.created_by) == (Role.CLINICIAN, root)
    _approve(client, mapping)
    mapping.refresh_from_db()
    assert mapping.approved_at is None


def test_the_audit_log_shows_registry_admins_no_patients_username(client, world):
    from coproduce.audit.services import record

    alice = world.alice.user
    seen = record("patient.viewed", actor=alice, patient=world.alice)
    record("patient.viewed", actor=world.nina, patient=world.alice)
    client.force_login(world.adam)
    listed = client.get("/admin/audit/auditevent/").content.decode()
    assert "a patient" in listed and "nina" in listed
    assert alice.username not in listed
    found = client.get("/admin/audit/auditevent/", {"q": alice.username}).content.decode()
    assert f"/admin/audit/auditevent/{seen.pk}/change/" not in found
    assert "nina" in client.get("/admin/audit/auditevent/", {"q": "nina"}).content.decode()
    one = client.get(f"/admin/audit/auditevent/{seen.pk}/change/")
    assert one.status_code == 200
    assert alice.username not in one.content.decode() and "a patient" in one.content.decode()
