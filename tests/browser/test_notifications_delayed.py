"""Staff see "Notifications are delayed" when the outbox waits and no worker is alive."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from coproduce.platform import clock
from coproduce.platform.models import Notification, Priority
from tests.browser.conftest import assert_accessible, log_in, log_out, screenshot


def test_staff_see_the_delay_and_patients_do_not(demo, page):
    at = clock.now() - dt.timedelta(minutes=10)
    Notification.objects.create(
        channel="email",
        to="oncall@example.org",
        subject="Urgent alert",
        body="Please open the alert queue.",
        purpose="alert",
        priority=Priority.URGENT,
        dedupe_key="browser:delayed",
        next_attempt_at=at,
        created_at=at,
    )
    log_in(page, "nurse")
    banner = page.get_by_role("alert").filter(has_text="Notifications are delayed")
    expect(banner).to_be_visible()
    assert_accessible(page, "nurse home with the delay banner")
    screenshot(page, "notifications-delayed-nurse")
    log_out(page)
    log_in(page, "patient")
    assert page.get_by_text("Notifications are delayed").count() == 0
