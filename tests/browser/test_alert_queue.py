"""The nurse sees one check-in's alerts as one item, reaches the patient, acknowledges, resolves."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Patient
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.alerts import raise_alert
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import AlertStatus
from tests.browser.conftest import axe_violations, check, describe, log_in, screenshot


def raise_urgent_alert() -> Patient:
    """A check-in with thoughts of self-harm, a high PHQ-9 and free text: several alerts."""
    patient = Patient.objects.get(registry_id="CP-DEMOPAT1")
    if not patient.phone:
        patient.phone = "+46 70 123 45 67"
        patient.save(update_fields=["phone"])
    response = CheckinResponse.objects.create(
        patient=patient,
        answers={"phq9": {"phq9-9": 1}},
        versions={"phq9": "1.0"},
        free_text="A very hard week; I could not sleep.",
        idempotency_key="browser-alert-queue",
        submitted_at=clock.now(),
    )
    score = Score.objects.create(
        response=response,
        patient=patient,
        instrument_id="phq9",
        version="1.0",
        score=21,
        band="severe",
        flags=["phq9_item9_positive"],
        item_values={"phq9-9": 1},
        at=response.submitted_at,
    )
    outcome = evaluate_and_record(response, [score])
    assert outcome.crisis and len(outcome.alerts) >= 2, outcome.alerts
    return patient


def test_nurse_acknowledges_and_resolves_an_urgent_alert(page, demo):
    patient = raise_urgent_alert()
    log_in(page, "nurse")
    page.goto("/alerts/")
    first = page.locator("ol.queue > li").first
    text = first.inner_text()
    assert "Urgent" in text and patient.registry_id in text
    assert "Free text needs reading" in text or text.count("\n") > 2  # every reason listed
    assert first.locator("input[type=checkbox]").count() == 0  # never bulk-acknowledged
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "alert-queue")

    page.get_by_label("Priority").select_option("1")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]priority=1(&|$)"))
    assert page.locator("ol.queue > li").count() >= 1
    assert all("Urgent" in t for t in page.locator("ol.queue > li").all_inner_texts())
    check(page, "alert-queue-filtered")

    page.locator("ol.queue > li").first.get_by_role("link").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("a.call").get_attribute("href").startswith("tel:+46")
    assert "Several days" in page.locator(".answer-list .fired").inner_text()
    assert page.locator("p.why").inner_text().startswith("Raised because")
    assert not page.locator("details.trace").evaluate("d => d.open")
    check(page, "alert-detail")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Alert acknowledged." in page.content()

    page.get_by_label("Note").fill("Called her; safety plan agreed, GP informed.")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Alert resolved." in page.content()
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "alert-resolved")
    page.goto("/alerts/")
    assert patient.registry_id not in page.locator("ol.queue").inner_text()


def test_bulk_acknowledge_of_routine_items_and_the_pages_at_phone_width(phone, demo):
    patient = raise_urgent_alert()
    quiet = Patient.objects.filter(care_team=patient.care_team).exclude(pk=patient.pk).first()
    routine = raise_alert(
        patient=quiet, rule_id="taper-no-checkin", priority=Priority.ROUTINE, reason="No check-in"
    )
    log_in(phone, "nurse")
    phone.goto("/alerts/")
    check(phone, "alert-queue-phone")
    phone.get_by_label(f"Select the alerts for {quiet.display_name}").check()
    phone.get_by_role("button", name="Acknowledge selected").click()
    expect(phone.locator(".messages")).to_contain_text("1 alert acknowledged.")
    routine.refresh_from_db()
    assert routine.status == AlertStatus.ACKNOWLEDGED
    phone.goto("/alerts/?priority=1")
    phone.locator("ol.queue > li", has_text=patient.registry_id).first.get_by_role("link").click()
    phone.wait_for_load_state("domcontentloaded")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the alert page scrolls sideways on a phone ({width}px)"
    check(phone, "alert-detail-phone")
