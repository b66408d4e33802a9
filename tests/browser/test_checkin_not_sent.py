"""When the database fails as a patient sends a check-in, she is told plainly that it was not
sent, can send it again, and still sees crisis help at once."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from coproduce.checkins import flow
from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock
from tests.browser.conftest import check
from tests.checkins.conftest import broken_database as broken_database


def test_a_failed_send_says_not_sent_shows_crisis_help_and_can_be_sent_again(
    world,
    phone,
    broken_database,
):
    inv = on_demand(world.alice, ["phq9"], now=clock.now() - dt.timedelta(minutes=1))
    answers = {f"phq9-{n}": 1 for n in range(1, 9)} | {"phq9-9": 1}
    inv.draft = {"answers": {"phq9": answers}, "free_text": "Hard week."}
    inv.save(update_fields=["draft"])
    token = issue_token(inv, purpose="invitation")
    review = flow.steps_for(inv)[-1]

    phone.goto(f"/c/{token}/{review.number}/")
    assert "Check your answers" in phone.locator("h1").inner_text()
    phone.get_by_role("button", name="Send to my care team").click()
    phone.wait_for_load_state("domcontentloaded")
    crisis = phone.locator("section.crisis").inner_text()
    assert "Help is available right now" in crisis and "NOT been told yet" in crisis
    expect(phone.get_by_text("Your check-in was not sent yet")).to_be_visible()
    check(phone, "checkin-not-sent")
    assert CheckinResponse.objects.count() == 0

    broken_database()  # the database is back
    phone.get_by_role("button", name="Send again").click()
    phone.wait_for_url("**/c/done/")
    assert "your check-in was sent" in phone.content()
    assert CheckinResponse.objects.get().free_text == "Hard week."
