"""An urgent check-in that can reach nobody: the patient is told plainly to call the clinic,
and the nurse sees a banner on every page (issue 11.4)."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from coproduce.checkins import flow
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock
from tests.browser.conftest import check, log_in


def test_the_patient_is_told_to_call_and_the_nurse_sees_the_banner(world, phone, page):
    inv = on_demand(world.alice, ["phq9"], now=clock.now() - dt.timedelta(minutes=1))
    answers = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": 1}
    inv.draft = {"answers": {"phq9": answers}, "free_text": ""}
    inv.save(update_fields=["draft"])
    token = issue_token(inv, purpose="invitation")

    phone.goto(f"/c/{token}/{flow.steps_for(inv)[-1].number}/")
    phone.get_by_role("button", name="Send to my care team").click()
    phone.wait_for_load_state("domcontentloaded")
    crisis = phone.locator("section.crisis").inner_text()
    assert "We could not alert your care team automatically" in crisis
    assert "has been told" not in crisis
    assert "call your clinic" in phone.locator("p.part.clinic").first.inner_text()
    check(phone, "checkin-urgent-unreached")

    world.nina.set_password("pw-nina")
    world.nina.save()
    log_in(page, "nina", "pw-nina")
    page.goto("/team/patients/")
    banner = page.get_by_role("alert")
    assert "could not be sent to anyone" in banner.inner_text()
    check(page, "staff-banner-urgent-unreached")


def test_a_registry_admin_sends_a_test_alert_from_the_site_settings(world, page):
    from coproduce.platform.models import Notification
    from tests.browser.conftest import screenshot

    site = world.team_a.site
    site.urgent_email = "on-call@north.example.org"
    site.save()
    world.adam.set_password("pw-adam")
    world.adam.save()
    log_in(page, "adam", "pw-adam")
    page.goto(f"/admin/people/site/{site.pk}/change/")
    page.get_by_role("button", name="Send a test alert").click()
    expect(page.locator(".messagelist")).to_contain_text("is in the outbox")
    screenshot(page, "admin-site-test-alert")
    assert Notification.objects.get(purpose="test-alert").to == "on-call@north.example.org"
