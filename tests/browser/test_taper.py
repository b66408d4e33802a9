"""A taper built together at a visit, seen and paused by the patient, answered by the nurse."""

from django.db import transaction
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    check,
    log_in,
    log_out,
    screenshot,
)

PLAN = "/patients/CP-DEMOPAT1/plan/"


def test_a_taper_is_built_together_paused_by_the_patient_and_answered(demo, page):
    from coproduce.careplans import demo as careplans_demo

    with transaction.atomic():
        careplans_demo.seed(demo)

    log_in(page, "clinician")
    page.goto(PLAN)
    assert "not a conversion between opioids" in page.content()
    assert_accessible(page, "care plan")
    screenshot(page, "taper-care-plan")
    page.get_by_role("link", name="Build a taper plan together").click()
    # The builder starts from what Maria takes today (her opioid in the medicines list).
    expect(page.get_by_label("Drug")).to_have_value("oxycodone")
    per_day = page.get_by_label("Total per day").input_value()
    assert float(per_day) > 5
    # One dose unit as large as the whole day's dose leaves no step: refused, said why.
    page.get_by_label("Smallest dose unit").fill(per_day)
    page.get_by_label("10 % every month").check()
    page.get_by_role("button", name="Preview the schedule").click()
    expect(
        page.get_by_text("This plan has no steps, so saving it would change nothing")
    ).to_be_visible()
    assert page.get_by_role("heading", name="Schedule preview").count() == 0
    check(page, "taper-new-no-steps")
    # Corrected, it previews.
    page.get_by_label("Smallest dose unit").fill("5")
    page.get_by_role("button", name="Preview the schedule").click()
    screenshot(page, "taper-new-preview")
    page.get_by_role("heading", name="Schedule preview").wait_for()
    assert_accessible(page, "plan builder")
    page.get_by_role("button", name="Save the plan we agreed").click()
    page.wait_for_url(f"**{PLAN}")
    expect(page.get_by_text("The taper plan is saved.")).to_be_visible()
    log_out(page)

    log_in(page, "patient")
    page.goto(PLAN + "calendar/")
    assert "Starting dose" in page.locator("table").inner_text()
    assert_accessible(page, "calendar")
    screenshot(page, "taper-calendar")
    page.emulate_media(media="print")
    screenshot(page, "taper-calendar-print")
    page.emulate_media(media="screen")
    page.goto(PLAN)
    page.get_by_role("link", name="Ask to pause, slow, stop or go back up").click()
    page.get_by_label("Pause my taper").check()
    page.get_by_label("Anything you want your team to know").fill("My mother is ill this month.")
    assert_accessible(page, "ask form")
    page.get_by_role("button", name="Send to my team").click()
    page.wait_for_url(f"**{PLAN}")
    expect(page.get_by_text("Your taper is paused").first).to_be_visible()
    assert_accessible(page, "plan after pause")
    screenshot(page, "taper-paused-patient")
    log_out(page)

    log_in(page, "nurse")
    page.goto(PLAN)
    page.get_by_role("link", name="Answer this request").click()
    expect(page.get_by_text("My mother is ill this month.")).to_be_visible()
    page.get_by_label("Your answer").fill("Paused at your current dose. Call us when ready.")
    assert_accessible(page, "answer form")
    screenshot(page, "taper-answer")
    page.get_by_role("button", name="Send the answer").click()
    page.wait_for_url(f"**{PLAN}")
    expect(page.get_by_text("Answer (").first).to_be_visible()
    assert_accessible(page, "plan after answer")
    screenshot(page, "taper-answered-nurse")
