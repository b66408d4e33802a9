"""The shared dashboard in chromium: patient, parent and clinician; phone, desktop and print."""

import datetime as dt
import re

from playwright.sync_api import expect

from coproduce.people.models import Patient
from coproduce.platform import clock
from coproduce.visits.models import Appointment
from tests.browser.conftest import SCREENSHOTS, check, log_in, screenshot
from tests.visits.helpers import previsit, weekly_scores


def history(registry_id: str, weeks: int = 150) -> Patient:
    """Three years of weekly PHQ-9, GAD-7 and PEG with two past visits and a concern."""
    patient = Patient.objects.get(registry_id=registry_id)
    phq = [max(0, min(27, 14 - w // 12 + (w % 5))) for w in range(weeks)]
    gad = [max(0, min(21, 9 - w // 20 + (w % 3))) for w in range(weeks)]
    peg = [round(max(0.0, min(10.0, 7.5 - w / 40 + (w % 4) / 3)), 1) for w in range(weeks)]
    phq[-1] = phq[-2] + 6  # a clear worsening since the last visit
    if patient.scores.count() < 10:  # the demo's own history, once seeded, is used as is
        weekly_scores(patient, {"phq9": phq, "gad7": gad, "peg": peg})
    for days in (400, 12):
        Appointment.objects.create(
            patient=patient,
            care_team=patient.care_team,
            starts_at=clock.now() - dt.timedelta(days=days),
            status="attended",
        )
    previsit(
        patient,
        {
            "previsit-concern": "Walking my dog every morning without the pain stopping me",
            "previsit-topics": ["pain", "medicines"],
            "previsit-partner": "together",
        },
    )
    return patient


def test_it_shows_the_patient_their_dashboard_on_a_phone(demo, phone):
    history("CP-DEMOPAT1")
    log_in(phone, "patient")
    phone.get_by_role("link", name="See my scores over time").click()  # from /me/
    assert phone.url.endswith("/patients/CP-DEMOPAT1/dashboard/")
    assert phone.locator("h1").inner_text().startswith("Maria Lindqvist")
    expect(phone.get_by_text("Walking my dog every morning")).to_be_visible()
    expect(phone.get_by_text("since the last visit").first).to_be_visible()
    phone.get_by_text("Show PHQ-9 as a table").click()
    expect(phone.get_by_role("table").first).to_be_visible()
    check(phone, "dashboard-patient-phone")
    for part in ("concern", "now", "trends"):
        phone.locator(f".{part}").screenshot(path=str(SCREENSHOTS / f"phone-{part}.png"))


def test_it_lets_a_patient_ask_to_be_seen(demo, phone):
    log_in(phone, "patient")
    phone.goto("/patients/CP-DEMOPAT1/dashboard/")
    phone.get_by_label("What is happening?").fill("The new dose is not working")
    phone.get_by_role("button", name="I'm not doing well: ask to be seen").click()
    expect(phone.get_by_text("Your care team has your request")).to_be_visible()
    check(phone, "dashboard-asked-phone")


def test_it_shows_the_clinician_the_same_dashboard_on_a_desktop(demo, page):
    history("CP-DEMOPAT1")
    log_in(page, "clinician")
    page.goto("/patients/CP-DEMOPAT1/dashboard/")
    expect(page.get_by_text("Walking my dog every morning")).to_be_visible()
    assert page.locator("svg.trend").count() >= 2  # one chart per scored instrument
    check(page, "dashboard-clinician-desktop")
    page.get_by_role("link", name="Visit mode: large text to read together").click()
    expect(page.get_by_role("heading", name="What matters most today")).to_be_visible()
    check(page, "dashboard-visit-mode-desktop")


# Printable width in CSS pixels of each paper with the summary's 10 mm margins.
PAPER_WIDTHS = {"A4": round(190 / 25.4 * 96), "Letter": round(195.9 / 25.4 * 96)}


def pdf_pages(page, paper: str) -> int:
    pdf = page.pdf(format=paper, print_background=True)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_it_prints_a_one_page_visit_summary(demo, page):
    history("CP-DEMOPAT1")
    log_in(page, "clinician")
    page.goto("/patients/CP-DEMOPAT1/dashboard/")
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Log out").is_visible()
    screenshot(page, "dashboard-print")
    for paper in ("A4", "Letter"):
        assert pdf_pages(page, paper) == 1, f"more than one {paper} page"


def worst_case_patient():
    """A patient with more of everything than one page can hold (issue 11.1)."""
    from tests.visits.worst_case import build

    return build()


def test_the_one_page_summary_fits_whatever_the_data(transactional_db, page):
    case = worst_case_patient()
    page.goto("/login/")
    page.get_by_label("Username").fill(case.clinician.username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/patients/{case.patient.registry_id}/dashboard/")
    # On screen everything is there: the whole concern, every medicine and goal.
    expect(page.get_by_text(case.concern[-40:])).to_be_visible()
    assert page.locator("table.meds tbody tr").count() == 12
    page.emulate_media(media="print")
    for paper, width in PAPER_WIDTHS.items():
        # The caps alone make it fit: the page's last-resort height limit clips nothing.
        page.set_viewport_size({"width": width, "height": 1000})
        spare = page.evaluate(
            "() => { const m = document.querySelector('main');"
            " return parseFloat(getComputedStyle(m).maxHeight) - m.scrollHeight; }"
        )
        assert spare >= 30, f"{paper}: only {spare}px to spare below the one-page limit"
        assert pdf_pages(page, paper) == 1, f"more than one {paper} page"
    screenshot(page, "dashboard-print-worst-case")
    # What the page could not hold is counted, and the reader is sent to the screen for it.
    expect(page.get_by_text("and 6 more medicines")).to_be_visible()
    expect(page.get_by_text("and 2 more goals").first).to_be_visible()
    expect(page.get_by_text("shortened to fit one page")).to_be_visible()
    assert not page.get_by_text(case.concern[-40:]).is_visible()


def test_it_shows_a_parent_their_childs_dashboard(demo, phone):
    history("CP-DEMOKID1", weeks=30)
    log_in(phone, "parent")
    phone.goto("/patients/CP-DEMOKID1/dashboard/")
    assert phone.locator("h1").inner_text().startswith("Ella Karlsson")
    expect(phone.get_by_role("button", name="I'm not doing well: ask to be seen")).to_be_visible()
    check(phone, "dashboard-parent-phone")
    response = phone.goto("/patients/CP-DEMOPAT1/dashboard/")
    assert response is not None and response.status == 404


def test_it_gives_the_team_a_previsit_list_with_a_reminder_button(demo, page):
    log_in(page, "clinician")
    page.goto("/team/previsit/")
    assert page.locator("h1").inner_text() == "Pre-visit planning"
    expect(page.get_by_text("Maria Lindqvist").first).to_be_visible()  # booked tomorrow in demo
    check(page, "previsit-desktop")
