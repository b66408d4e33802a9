"""Maria opens her e-mailed check-in link on a phone, stops halfway, resumes on another
device, reports thoughts of self-harm (PHQ-9 item 9) and is shown crisis help at once."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from coproduce.audit.models import AuditEvent
from coproduce.checkins import outbox
from coproduce.checkins.models import OPEN_STATUSES, Invitation
from coproduce.checkins.tokens import invitation_for_token
from coproduce.platform import clock, delivery, sms
from coproduce.platform.models import Notification
from tests.browser.conftest import check, log_in

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
MORE_THAN_HALF, NOT_AT_ALL, SEVERAL_DAYS = "LA6570-1", "LA6568-5", "LA6569-3"


def _tap(page, name: str, value) -> None:
    page.locator(f'label.opt:has(input[name="{name}"][value="{value}"])').click()


def _next(page) -> None:
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state("domcontentloaded")


def test_maria_checks_in_across_two_devices_and_gets_crisis_help(demo, browser, live_server):
    mail.outbox = []
    sms.outbox.clear()
    outbox.dispatch_due()
    delivery.send_pending()
    # What reached Maria, by e-mail or text message (whichever she prefers): her weekly
    # check-in. (In the clinic's daytime her pre-visit invitation goes out too; it is another.)
    weekly = Invitation.objects.get(
        patient__registry_id="CP-DEMOPAT1",
        appointment__isnull=True,
        status__in=OPEN_STATUSES,
        due_at__lte=clock.now(),
        expires_at__gt=clock.now(),
    )
    invitation = Notification.objects.get(dedupe_key=f"invitation:{weekly.pk}")
    assert invitation.status == "sent"
    sent = [(m.to, m.body) for m in mail.outbox] + [([m["to"]], m["body"]) for m in sms.outbox]
    links = [re.search(r"/c/([A-Za-z0-9_-]+)/", body) for to, body in sent if invitation.to in to]
    path = next(
        link.group(0)
        for link in links
        if link and invitation_for_token(link.group(1), now=clock.now()).pk == weekly.pk
    )

    first = browser.new_context(base_url=live_server.url, **PHONE)
    page = first.new_page()
    page.goto(path)
    assert "Hello, Maria" in page.locator("h1").inner_text()
    # The link opens on the first question: no intro page to tap through.
    expect(page.get_by_text("Page 1 of 4")).to_be_visible()
    for item, value in (("peg-1", 6), ("peg-2", 7), ("peg-3", 5)):
        _tap(page, item, value)
    check(page, "checkin-1-start")
    _next(page)

    # Maria has no taper plan in the demo: no taper questions; the PHQ-9 is one page.
    expect(page.get_by_text("Page 2 of 4")).to_be_visible()
    expect(
        page.get_by_text("From here on the questions are about the last 2 weeks")
    ).to_be_visible()
    _tap(page, "phq9-1", MORE_THAN_HALF)
    check(page, "checkin-3-phq9")
    # Back without losing answers, then stop halfway.
    page.get_by_role("button", name="Back").click()
    expect(page.locator('input[name="peg-1"][value="6"]')).to_be_checked()
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.locator("h1")).to_contain_text("Your answers are saved")
    check(page, "checkin-4-stopped")
    first.close()

    # Later, on another device, through the same link.
    second = browser.new_context(base_url=live_server.url, **PHONE)
    page = second.new_page()
    page.goto(path)
    expect(page.get_by_text("You have already started")).to_be_visible()
    page.get_by_role("link", name="Carry on").click()
    expect(page.get_by_text("Page 2 of 4")).to_be_visible()
    assert page.locator('input[name="phq9-1"][value="LA6570-1"]').is_checked()
    _tap(page, "phq9-2", MORE_THAN_HALF)
    for n in (3, 4, 5, 6):
        _tap(page, f"phq9-{n}", SEVERAL_DAYS)
    _tap(page, "phq9-7", NOT_AT_ALL)
    _tap(page, "phq9-8", NOT_AT_ALL)
    _tap(page, "phq9-9", SEVERAL_DAYS)  # item 9 = 1
    check(page, "checkin-5-phq9-item9")
    _next(page)
    _next(page)  # the impact question is optional
    assert "Check your answers" in page.locator("h1").inner_text()
    page.get_by_label("Anything else you want your team to know?").fill(
        "The taper step last week was hard."
    )
    assert page.locator("textarea").count() == 1  # one free-text box per check-in
    # The counter says how much is left before the patient sends (34 of 4,000 used).
    counter = page.locator("#free_text-count")
    assert counter.inner_text().startswith("34 of 4,000 characters used.")
    page.get_by_label("Anything else you want your team to know?").fill("x" * 5000)
    assert page.get_by_label("Anything else you want your team to know?").input_value() == (
        "x" * 4000
    )  # the browser stops at the limit, and the counter says so
    assert "You have reached the limit" in counter.inner_text()
    page.get_by_label("Anything else you want your team to know?").fill(
        "The taper step last week was hard."
    )
    check(page, "checkin-7-review")
    page.get_by_role("button", name="Send to my care team").click()
    page.wait_for_load_state("domcontentloaded")

    crisis = page.locator("section.crisis")
    expect(crisis).to_be_visible()
    assert "Help is available right now" in crisis.inner_text()
    assert "112" in crisis.inner_text()
    reply = page.locator(".reply").first.inner_text()
    assert "What your care team will do" in reply
    check(page, "checkin-8-result-crisis")

    # The link is used up: opening it again says so kindly.
    page.goto(path)
    assert "already sent this check-in" in page.locator("h1").inner_text()
    check(page, "checkin-9-used-link")
    second.close()

    # The nurse sees the urgent alert at the top of her queue, acknowledges and resolves it.
    third = browser.new_context(base_url=live_server.url)
    page = third.new_page()
    log_in(page, "nurse")
    page.goto("/alerts/")
    top = page.locator("ol.queue > li").first
    assert "Urgent" in top.inner_text() and "CP-DEMOPAT1" in top.inner_text()
    top.get_by_role("link").click()
    page.wait_for_load_state("domcontentloaded")
    assert "The taper step last week was hard." in page.content()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("domcontentloaded")
    page.get_by_label("Note").fill("Called Maria; safety plan agreed.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Alert resolved." in page.content()
    third.close()

    # The audit log shows who saw and did what.
    events = list(
        AuditEvent.objects.filter(patient__registry_id="CP-DEMOPAT1")
        .order_by("id")
        .values_list("actor_username", "event")
    )
    assert ("", "checkin.opened") in events or any(e == "checkin.opened" for _, e in events)
    assert any(e == "checkin.submitted" for _, e in events)
    for event in ("alert.viewed", "alert.acknowledged", "alert.resolved"):
        assert ("nurse", event) in events, event
    fourth = browser.new_context(base_url=live_server.url)
    page = fourth.new_page()
    log_in(page, "admin")
    page.goto("/audit/?patient=CP-DEMOPAT1&actor=nurse")
    assert "alert.acknowledged" in page.locator("table").inner_text()
    check(page, "checkin-10-audit-log")
    fourth.close()
