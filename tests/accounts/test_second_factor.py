"""Staff give a second factor before any patient data; patients are never asked."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from fhir.resources.R4B.operationoutcome import OperationOutcome

from coproduce.accounts import mfa
from coproduce.audit.models import AuditEvent
from tests.accounts.conftest import code_for, enrol, log_in

PATIENT_PAGES = ["/team/patients/", "/alerts/", "/team/previsit/", "/registry/population/"]


@pytest.fixture
def required(settings):
    settings.STAFF_MFA = "required"


def test_it_sends_staff_to_enrolment_before_any_patient_page(client, world, required):
    response = log_in(client, "nina")
    assert client.get(response["Location"])["Location"].startswith("/account/second-factor/setup/")
    for url in [*PATIENT_PAGES, f"/patients/{world.alice.registry_id}/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/account/second-factor/setup/?next="), url
    api = client.get("/api/v1/patients/")
    assert api.status_code == 403
    assert "second factor" in api.json()["detail"]
    # The FHIR server answers FHIR: an OperationOutcome, with the same message.
    fhir = client.get(f"/fhir/R4/Patient/{world.alice.registry_id}")
    assert (fhir.status_code, fhir["Content-Type"]) == (403, "application/fhir+json")
    (issue,) = OperationOutcome.model_validate(fhir.json()).issue
    assert issue.code == "forbidden" and "second factor" in issue.diagnostics


def test_enrolment_shows_a_qr_code_then_recovery_codes_once(
    client, world, required, no_code_throttle
):
    log_in(client, "nina")
    page = client.get("/account/second-factor/setup/?next=/alerts/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body
    device = TOTPDevice.objects.get(user=world.nina, confirmed=False)
    shown = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(shown + "=" * (-len(shown) % 8)) == device.bin_key

    wrong = client.post("/account/second-factor/setup/", {"code": "000000"})
    assert wrong.status_code == 400 and b"That code is not right" in wrong.content

    done = client.post(
        "/account/second-factor/setup/", {"code": code_for(device, 1), "next": "/alerts/"}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert StaticToken.objects.filter(device__user=world.nina).count() == len(codes)
    assert client.get("/alerts/").status_code == 200
    assert AuditEvent.objects.filter(event="mfa.enrolled", actor=world.nina).exists()


def test_an_enrolled_user_gives_the_code_at_each_login(client, world, no_code_throttle):
    device, _codes = enrol(world.nina)
    log_in(client, "nina")
    response = client.get("/team/patients/")
    assert response["Location"] == "/account/second-factor/?next=%2Fteam%2Fpatients%2F"
    bad = client.post("/account/second-factor/", {"code": "123456"})
    assert bad.status_code == 400
    assert AuditEvent.objects.filter(event="mfa.failed", actor=world.nina).count() == 1
    ok = client.post("/account/second-factor/", {"code": code_for(device), "next": "/alerts/"})
    assert ok["Location"] == "/alerts/"
    assert client.get("/team/patients/").status_code == 200
    assert AuditEvent.objects.filter(event="mfa.verified", actor=world.nina).exists()


def test_a_code_works_only_once(client, world):
    device, _codes = enrol(world.nina)
    code = code_for(device)
    log_in(client, "nina")
    assert client.post("/account/second-factor/", {"code": code}).status_code == 302
    other = type(client)()
    log_in(other, "nina")
    assert other.post("/account/second-factor/", {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once(client, world, no_code_throttle):
    _device, codes = enrol(world.nina)
    log_in(client, "nina")
    response = client.post("/account/second-factor/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/team/patients/").status_code == 200
    event = AuditEvent.objects.get(event="mfa.recovery_used", actor=world.nina)
    assert event.detail["recovery_codes_left"] == 2
    again = type(client)()
    log_in(again, "nina")
    assert again.post("/account/second-factor/", {"code": codes[0]}).status_code == 400


def test_when_optional_only_enrolled_staff_are_asked(client, world, settings):
    settings.STAFF_MFA = "optional"
    log_in(client, "cora")
    assert client.get("/team/patients/").status_code == 200
    enrol(world.nina)
    other = type(client)()
    log_in(other, "nina")
    assert other.get("/team/patients/").status_code == 302


def test_patients_and_family_are_never_asked(client, world, required):
    log_in(client, world.alice.user.username)
    assert client.get("/me/").status_code == 200
    family = type(client)()
    log_in(family, "paula")
    assert family.get("/family/").status_code == 200


def test_the_unverified_can_still_log_out(client, world, required):
    log_in(client, "nina")
    assert client.post("/logout/")["Location"] == "/login/"


def test_recovery_codes_can_be_renewed_by_a_verified_user(client, world):
    device, old = enrol(world.nina)
    log_in(client, "nina")
    client.post("/account/second-factor/", {"code": code_for(device)})
    page = client.post("/account/recovery-codes/")
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", page.content.decode())
    assert len(new) == mfa.RECOVERY_CODE_COUNT and not set(new) & set(old)
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_replacing_the_app_needs_the_old_one_first(client, world):
    enrol(world.nina)
    log_in(client, "nina")
    assert client.get("/account/second-factor/setup/")["Location"] == "/account/second-factor/"


def test_a_registry_admin_resets_another_users_second_factor(client, world):
    enrol(world.nina)
    nina = type(client)()
    log_in(nina, "nina")
    mfa.reset_second_factor(actor=world.adam, user=world.nina)
    assert not TOTPDevice.objects.filter(user=world.nina).exists()
    assert nina.get("/account/")["Location"].startswith("/login/")
    event = AuditEvent.objects.get(event="mfa.reset")
    assert event.actor == world.adam and event.object_id == str(world.nina.pk)


def test_nobody_resets_their_own_second_factor_and_only_admins_reset(world):
    enrol(world.adam)
    with pytest.raises(mfa.NotAllowed):
        mfa.reset_second_factor(actor=world.adam, user=world.adam)
    with pytest.raises(mfa.NotAllowed):
        mfa.reset_second_factor(actor=world.nina, user=world.cora)
    assert TOTPDevice.objects.filter(user=world.adam).exists()
    assert not AuditEvent.objects.filter(event="mfa.reset").exists()


def test_the_admin_action_resets_and_refuses_the_admins_own(client, world):
    enrol(world.nina)
    enrol(world.adam)
    client.force_login(world.adam)
    client.session.save()
    session = client.session
    session[mfa.PROVIDER_KEY] = True  # stands for a verified admin session here
    session.save()
    ids = [world.nina.pk, world.adam.pk]
    response = client.post(
        "/admin/people/user/",
        {"action": "reset_second_factor", "_selected_action": ids},
        follow=True,
    )
    body = response.content.decode()
    assert "Second factor reset for nina" in body
    assert "You cannot reset your own second factor" in body
    assert not TOTPDevice.objects.filter(user=world.nina).exists()
    assert TOTPDevice.objects.filter(user=world.adam).exists()


def test_the_menu_is_hidden_until_the_second_factor_is_given(client, world, required):
    log_in(client, "nina")
    page = client.get("/account/second-factor/setup/").content.decode()
    assert 'aria-label="Main"' not in page and 'href="/team/patients/"' not in page
    assert "Log out" in page
