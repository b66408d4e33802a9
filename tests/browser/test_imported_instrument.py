"""Alice answers an instrument her clinic imported from REDCap (REDCap's own longitudinal
example, demographics form): the date is picked in the browser's date input, and the BMI,
a REDCap calculation, is computed from her height and weight, not asked."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.instruments.library import forget_imported
from coproduce.platform import clock
from tests.browser.conftest import check
from tests.instruments.conftest import REDCAP


@pytest.fixture
def demographics(transactional_db, tmp_path):
    """The REDCap example dictionary without its file-upload field (refused: see README)."""
    text = (REDCAP / "redcapr-longitudinal.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(StringIO(text)))
    path = tmp_path / "longitudinal.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([r for r in rows if r[3] != "file"])
    call_command("redcap", "import", str(path), stdout=StringIO())
    yield "demographics"
    forget_imported()


def _next(page) -> None:
    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state("domcontentloaded")


def test_alice_answers_an_imported_instrument_with_a_date_and_a_calculation(
    demographics, phone, world
):
    invitation = on_demand(world.alice, [demographics], now=clock.now() - dt.timedelta(minutes=1))
    token = issue_token(invitation, purpose="invitation")
    phone.goto(f"/c/{token}/1/")
    enrolled = phone.get_by_label("Date subject signed consent")
    assert enrolled.get_attribute("type") == "date"
    enrolled.fill("2026-03-02")
    check(phone, "imported-1-date")
    _next(phone)
    while not phone.get_by_label("Height (cm)").count():
        _next(phone)
    phone.get_by_label("Height (cm)").fill("175")
    phone.get_by_label("Weight (kilograms)").fill("70")
    assert not phone.locator('input[name="bmi"]').count()  # calculated, never asked
    check(phone, "imported-2-height-weight")
    while "Check your answers" not in phone.locator("h1").inner_text():
        _next(phone)
    review = " ".join(phone.locator("dl.review").inner_text().split())
    assert "2026-03-02" in review
    # round(([weight]*10000)/(([height])^(2)),1) = round(22.857, 1)
    assert "BMI 22.9 (calculated from your answers)" in review
    check(phone, "imported-3-review")
    phone.get_by_role("button", name="Send to my care team").click()
    phone.wait_for_url("**/c/done/")
    answers = CheckinResponse.objects.get(invitation=invitation).answers[demographics]
    assert (answers["date_enrolled"], answers["height"], answers["weight"], answers["bmi"]) == (
        "2026-03-02", 175.0, 70, 22.9,
    )  # fmt: skip
