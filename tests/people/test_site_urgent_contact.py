"""A site is set up with an urgent contact, and its settings can send a test alert."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.people.models import Network, Site
from coproduce.people.services import set_up_site
from coproduce.platform import clock, delivery
from coproduce.platform.models import Notification

ON_CALL = "on-call@north.example.org"


def _admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _add_form(network, **contact) -> dict:
    return {
        "network": network.pk,
        "name": "East Clinic",
        "slug": "east",
        "time_zone": "Europe/Stockholm",
        "teen_login_age": 12,
        "urgent_email": "",
        "urgent_phone": "",
        **contact,
    }


def test_the_site_form_refuses_a_site_without_an_urgent_contact(world):
    network = Network.objects.get()
    admin = _admin(world.adam)
    page = admin.post("/admin/people/site/add/", _add_form(network))
    assert page.status_code == 200
    assert "Give an urgent contact" in page.content.decode()
    assert not Site.objects.filter(slug="east").exists()
    bad_phone = admin.post("/admin/people/site/add/", _add_form(network, urgent_phone="call me"))
    assert "Give a phone number" in bad_phone.content.decode()
    assert not Site.objects.filter(slug="east").exists()
    saved = admin.post("/admin/people/site/add/", _add_form(network, urgent_email=ON_CALL))
    assert saved.status_code == 302
    assert Site.objects.get(slug="east").urgent_email == ON_CALL


def test_an_existing_site_without_a_contact_cannot_be_saved_until_it_has_one(world):
    site = world.team_a.site  # made before the fields existed: blank
    admin = _admin(world.adam)
    form = _add_form(site.network) | {"name": site.name, "slug": site.slug}
    page = admin.post(f"/admin/people/site/{site.pk}/change/", form)
    assert page.status_code == 200 and "Give an urgent contact" in page.content.decode()
    phone = form | {"urgent_phone": "+46 70 123 45 67"}
    assert admin.post(f"/admin/people/site/{site.pk}/change/", phone).status_code == 302
    site.refresh_from_db()
    assert site.urgent_phone == "+46 70 123 45 67"


def test_the_set_up_service_refuses_a_site_without_an_urgent_contact(db):
    network = Network.objects.create(name="N")
    with pytest.raises(ValidationError, match="urgent contact"):
        set_up_site(actor=None, network=network, name="A", slug="a")
    assert not Site.objects.exists()
    site = set_up_site(actor=None, network=network, name="A", slug="a", urgent_email=ON_CALL)
    assert AuditEvent.objects.filter(event="site.created", object_id=str(site.pk)).exists()


def test_the_test_alert_goes_through_the_outbox_to_the_urgent_contact(
    world,
    smtp_server,
):
    site = world.team_a.site
    site.urgent_email = ON_CALL
    site.save()
    admin = _admin(world.adam)
    page = admin.get(f"/admin/people/site/{site.pk}/change/").content.decode()
    assert "Send a test alert" in page and f"/sites/{site.pk}/test-alert/" in page
    done = admin.post(f"/sites/{site.pk}/test-alert/", follow=True)
    assert "is in the outbox" in done.content.decode()
    queued = Notification.objects.get(purpose="test-alert")
    assert queued.to == ON_CALL and queued.status == "pending"
    assert smtp_server.messages == []  # nothing is sent around the outbox
    delivery.send_pending(clock.now())
    [message] = smtp_server.to(ON_CALL)
    assert site.name in message.subject
    audit = AuditEvent.objects.get(event="site.test_alert_sent")
    assert audit.actor == world.adam and audit.detail == {"to": [ON_CALL]}


def test_only_those_who_may_manage_sites_can_send_a_test_alert(world):
    site = world.team_a.site
    site.urgent_email = ON_CALL
    site.save()
    for user in (world.nina, world.carl, world.ruth, world.alice.user):
        assert _admin(user).post(f"/sites/{site.pk}/test-alert/").status_code == 404
    assert Client().post(f"/sites/{site.pk}/test-alert/").status_code == 404
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(event="site.test_alert_sent").exists()


def test_a_site_without_a_contact_gets_a_clear_message_and_no_test_alert(world):
    site = world.team_a.site
    done = _admin(world.adam).post(f"/sites/{site.pk}/test-alert/", follow=True)
    assert "no urgent contact that can be reached" in done.content.decode()
    assert not Notification.objects.exists()
