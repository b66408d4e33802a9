"""The feed-forward loop in chromium: Maria's pre-visit link arrives by e-mail (the local SMTP
server), she answers her number ONE concern and how she likes to partner on her phone, and
the clinician's day list, dashboard and visit record open with her words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from coproduce.checkins import outbox
from coproduce.people.models import Patient
from coproduce.platform import clock, delivery
from coproduce.platform.models import Channel
from tests.browser.conftest import check, log_in

CONCERN = "Walking to the shop without stopping"
NOTE = "Show me my charts, then we decide together"


@pytest.fixture
def daytime_demo(transactional_db):
    """The demo seeded and run at midday in the clinic (nothing goes out at night)."""
    from coproduce.demo import seed_all

    previous = clock.snapshot()
    clock.freeze(dt.datetime.combine(clock.today(), dt.time(11), tzinfo=dt.UTC))
    try:
        yield seed_all()
    finally:
        clock.restore(previous)


def _answer_previsit(page) -> None:
    """Answer each page: the concern in her words, "together"; a note in the check-in's one
    free-text box on the review page; then send."""
    start = page.get_by_role("link", name="Start")
    if start.count():
        start.click()
    for _ in range(12):
        page.wait_for_load_state("domcontentloaded")
        send = page.get_by_role("button", name="Send to my care team")
        if send.count():
            assert page.locator("textarea").count() == 1  # one free-text box per check-in
            page.get_by_label("Anything else you want your team to know?").fill(NOTE)
            check(page, "previsit-3-review-phone")
            send.click()
            return
        other = page.locator('input[name="previsit-concern__other"]')
        if other.count():
            other.fill(CONCERN)
            check(page, "previsit-1-concern-phone")
        partner = page.locator('label.opt:has(input[name="previsit-partner"][value="together"])')
        if partner.count():
            partner.click()
            assert page.locator('textarea[name="previsit-partner-note"]').count() == 0
            check(page, "previsit-2-partner-phone")
        page.get_by_role("button", name="Next").click()
    raise AssertionError("the check-in never reached its review page")


def test_maria_answers_her_pre_visit_check_in_and_the_visit_opens_with_it(
    daytime_demo, smtp_server, browser, live_server, page
):
    maria = Patient.objects.get(registry_id="CP-DEMOPAT1")
    maria.preferred_channel = Channel.EMAIL
    maria.save(update_fields=["preferred_channel"])
    outbox.dispatch_due()
    delivery.send_pending()
    smtp_server.wait_to(maria.email)
    message = next(
        m for m in smtp_server.to(maria.email) if m.subject == "Your check-in before your visit"
    )
    assert "number one concern" in message.body
    path = re.search(r"/c/[A-Za-z0-9_-]+/", message.body).group(0)

    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    mine = phone.new_page()
    mine.goto(path)
    check(mine, "previsit-0-link-phone")
    _answer_previsit(mine)
    assert "your check-in was sent" in mine.locator("h1").inner_text()
    check(mine, "previsit-4-done-phone")
    # Her home lists the appointment with the check-in answered.
    log_in(mine, "patient")
    expect(mine.get_by_text("your care team has your number one concern")).to_be_visible()
    check(mine, "previsit-5-home-phone")
    phone.close()

    log_in(page, "clinician")
    page.goto("/team/previsit/")
    row = page.locator("tr", has=page.get_by_role("link", name="Maria Lindqvist", exact=True))
    assert CONCERN in row.inner_text() and "Done" in row.inner_text()
    check(page, "previsit-6-day-list")
    row.get_by_role("link", name="Maria Lindqvist", exact=True).click()
    concern = page.locator("section.concern")
    assert CONCERN in concern.inner_text()
    assert "I like us to decide together" in concern.inner_text()
    assert NOTE in concern.inner_text()  # her note, from the check-in's one box
    # The concern is the first thing on the dashboard.
    first_heading = page.locator("main h2").first.inner_text()
    assert first_heading in ("Number one concern or goal", "What matters most today")
    check(page, "previsit-7-dashboard")
    page.goto("/team/previsit/")
    page.get_by_role("link", name="Visit record for Maria Lindqvist").click()
    agenda = page.locator("ol.agenda li")
    assert agenda.first.inner_text().endswith(CONCERN)
    assert "I like us to decide together" in page.locator(".partner").inner_text()
    check(page, "previsit-8-visit-record")
    page.get_by_label("What we chose").fill("Walk to the shop with one rest stop for two weeks.")
    page.get_by_label("What the patient and family will do").fill("Walk three times a week.")
    page.get_by_role("button", name="Share with the patient").click()
    page.wait_for_load_state("domcontentloaded")

    # Afterwards Maria sees on her own page what was decided about her concern.
    phone = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    mine = phone.new_page()
    log_in(mine, "patient")
    decided = mine.locator("section.decided")
    assert CONCERN in decided.inner_text()
    assert "one rest stop" in decided.inner_text()
    check(mine, "previsit-9-decided-home-phone")
    phone.close()
