"""The nurse sees an urgent alert at the top of her queue, acknowledges and resolves it."""

from __future__ import annotations

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Patient
from coproduce.safetynet.engine import evaluate_and_record
from tests.browser.conftest import axe_violations, describe, log_in, screenshot


def raise_urgent_alert() -> Patient:
    patient = Patient.objects.get(registry_id="CP-DEMOPAT1")
    response = CheckinResponse.objects.create(
        patient=patient,
        answers={"phq9": {"phq9-9": 1}},
        versions={"phq9": "1.0"},
        idempotency_key="browser-alert-queue",
    )
    score = Score.objects.create(
        response=response,
        patient=patient,
        instrument_id="phq9",
        version="1.0",
        score=14,
        band="moderate",
        flags=["phq9_item9_positive"],
        item_values={"phq9-9": 1},
        at=response.submitted_at,
    )
    outcome = evaluate_and_record(response, [score])
    assert outcome.crisis
    return patient


def test_nurse_acknowledges_and_resolves_an_urgent_alert(page, demo):
    patient = raise_urgent_alert()
    log_in(page, "nurse")
    page.goto("/alerts/")
    first = page.locator("tbody tr").first
    assert "Urgent" in first.inner_text() and patient.registry_id in first.inner_text()
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "alert-queue")

    first.get_by_role("link").click()
    page.wait_for_load_state("domcontentloaded")
    assert axe_violations(page) == [], describe(axe_violations(page))
    screenshot(page, "alert-detail")
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
