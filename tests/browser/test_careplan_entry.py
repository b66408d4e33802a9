"""The nurse enters a medicine and sees the total MME; the patient confirms it and adds a goal."""

from django.db import transaction
from playwright.sync_api import expect

from tests.browser.conftest import (
    assert_accessible,
    log_in,
    log_out,
    screenshot,
)

PLAN = "/patients/CP-DEMOPAT1/plan/"


def test_the_nurse_adds_a_medicine_and_the_patient_confirms_it_and_adds_a_goal(demo, page):
    from coproduce.careplans import demo as careplans_demo

    with transaction.atomic():
        careplans_demo.seed(demo)

    log_in(page, "nurse")
    page.goto(PLAN)
    page.get_by_role("link", name="Add a medicine").click()
    page.get_by_label("Medicine", exact=True).fill("morphine")
    page.get_by_label("Strength", exact=True).fill("15")
    page.get_by_label("Unit", exact=True).fill("ml")
    page.get_by_label("Doses per day", exact=True).fill("2")
    page.get_by_role("button", name="Save the medicine").click()
    errors = page.get_by_role("alert").filter(has_text="Please check")
    errors.wait_for()
    assert "Unit: morphine: unknown unit “ml” (use mg or mcg/hr)." in errors.inner_text()
    assert_accessible(page, "medicine form with an error")
    screenshot(page, "careplan-medicine-error")
    page.get_by_label("Unit", exact=True).fill("mg")
    page.get_by_role("button", name="Check the MME").click()
    page.get_by_role("heading", name="MME check (nothing saved yet)").wait_for()
    assert "30 MME/day" in page.content()
    assert_accessible(page, "medicine check")
    screenshot(page, "careplan-medicine-check")
    page.get_by_role("button", name="Save the medicine").click()
    page.wait_for_url(f"**{PLAN}")
    expect(page.get_by_text("Saved: morphine 15 mg")).to_be_visible()
    # Adding an opioid is an increase outside any plan: the team's queue gets an alert.
    expect(page.get_by_text("not in the plan").first).to_be_visible()
    total = page.locator("tfoot").inner_text()
    assert "75" in total  # oxycodone 10 mg × 3 = 45, morphine 15 mg × 2 = 30
    assert_accessible(page, "care plan after adding a medicine")
    screenshot(page, "careplan-nurse-total")
    log_out(page)

    log_in(page, "patient")
    page.goto(PLAN)
    page.get_by_role("link", name="Is this what you take?").click()
    morphine = page.locator("section.cp-med", has_text="Morphine 15 mg")
    assert_accessible(page, "medicine check by the patient")
    screenshot(page, "careplan-patient-check")
    morphine.get_by_role("button", name="Yes, this is what I take").click()
    page.get_by_text("Thank you: morphine 15 mg is confirmed.").wait_for()
    oxycodone = page.locator("section.cp-med", has_text="Oxycodone 10 mg")
    oxycodone.get_by_text("Something is wrong").click()
    oxycodone.get_by_label("What is different?").fill("I only take it twice a day now.")
    screenshot(page, "careplan-patient-something-wrong")
    oxycodone.get_by_role("button", name="Send to my team").click()
    page.get_by_text("Your note is with your care team").wait_for()
    assert_accessible(page, "medicine check after answers")

    page.goto(PLAN)
    page.get_by_role("link", name="Add a goal in your own words").click()
    page.get_by_label("The goal").fill("Walk to the market with my sister on Saturdays")
    assert_accessible(page, "goal form")
    screenshot(page, "careplan-goal-form")
    page.get_by_role("button", name="Save the goal").click()
    page.wait_for_url(f"**{PLAN}")
    expect(page.locator("q", has_text="Walk to the market with my sister")).to_be_visible()
    assert_accessible(page, "care plan with the new goal")
    screenshot(page, "careplan-patient-goal")
