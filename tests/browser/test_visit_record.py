"""The coproduced visit record in chromium: the clinician shares it, the patient comments."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from coproduce.checkins.models import Invitation
from coproduce.platform import clock
from coproduce.visits.models import Appointment, VisitComment
from tests.browser.conftest import SCREENSHOTS, check, log_in
from tests.visits.helpers import previsit


def test_it_lets_the_clinician_share_a_record_the_patient_reads_and_comments_on(demo, page, phone):
    appointment = Appointment.objects.filter(
        patient__registry_id="CP-DEMOPAT1", starts_at__gte=clock.now()
    ).earliest("starts_at")
    previsit(
        appointment.patient,
        {
            "previsit-concern": "Walking my dog every morning without the pain stopping me",
            "previsit-topics": ["pain", "medicines"],
        },
        at=clock.now() - dt.timedelta(hours=3),
    )

    log_in(page, "clinician")
    page.goto("/team/previsit/")
    page.get_by_role("link", name="Visit record for Maria Lindqvist").click()
    assert page.url.endswith(f"/visits/{appointment.pk}/record/")
    agenda = page.locator("ol.agenda li")
    assert agenda.first.inner_text().endswith(
        "Walking my dog every morning without the pain stopping me"
    )
    page.get_by_label("The care team's items (one per line)").fill(
        "Blood pressure\nRepeat prescription"
    )
    page.get_by_label("What we both see").fill(
        "Pain is lower in the mornings; sleep is still broken."
    )
    page.get_by_label("Options we talked about").fill(
        "Keep the dose; physiotherapy; a slower taper step."
    )
    page.get_by_label("What matters most to the patient").fill("Walking the dog every morning.")
    page.get_by_label("What we chose").fill("Physiotherapy first; keep the dose for four weeks.")
    page.get_by_label("What the patient and family will do").fill(
        "Book physiotherapy and note pain after walks."
    )
    page.get_by_label("What the care team will do").fill(
        "Send the physiotherapy referral this week."
    )
    page.get_by_label("Next check-ins").fill("Weekly PEG for four weeks.")
    page.get_by_label("Who follows up, and when").fill("The nurse calls in two weeks.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft: only the care team sees it")).to_be_visible()
    # The team's items follow the patient's.
    items = page.locator("ol.agenda li").all_inner_texts()
    assert items[0].startswith("Patient") and items[-1].startswith("Care team")
    check(page, "visit-record-clinician-draft")
    page.get_by_role("button", name="Share with the patient").click()
    expect(page.get_by_text("Shared: the patient can read the record")).to_be_visible()
    check(page, "visit-record-clinician-shared")
    assert (
        Invitation.objects.filter(appointment=appointment, instruments=["collaborate"]).count() == 1
    )

    log_in(phone, "patient")
    phone.goto("/patients/CP-DEMOPAT1/dashboard/")
    phone.get_by_role(
        "link", name=f"The visit on {timezone.localtime(appointment.starts_at):%-d %B %Y}"
    ).click()
    expect(phone.get_by_role("heading", name="3. The plan")).to_be_visible()
    expect(phone.get_by_text("Book physiotherapy and note pain after walks.")).to_be_visible()
    check(phone, "visit-record-patient-phone")
    phone.get_by_label("Your comment").fill("I will also try the pool on Saturdays.")
    phone.get_by_role("button", name="Send comment").click()
    expect(phone.get_by_text("Thank you: your comment is with the care team.")).to_be_visible()
    expect(phone.get_by_text("I will also try the pool on Saturdays.")).to_be_visible()
    check(phone, "visit-record-patient-commented-phone")
    assert VisitComment.objects.get().body == "I will also try the pool on Saturdays."

    page.reload()
    expect(page.get_by_text("I will also try the pool on Saturdays.")).to_be_visible()


def test_it_shows_the_agreed_plan_goals_and_medicines_on_the_dashboard(demo, page, phone):
    appointment = Appointment.objects.filter(
        patient__registry_id="CP-DEMOPAT1", starts_at__gte=clock.now()
    ).earliest("starts_at")
    log_in(page, "clinician")
    page.goto(f"/visits/{appointment.pk}/record/")
    page.get_by_label("What we chose").fill("Physiotherapy first; keep the dose for four weeks.")
    page.get_by_label("What the patient and family will do").fill("Book physiotherapy.")
    page.get_by_label("What the care team will do").fill("Send the referral this week.")
    page.get_by_role("button", name="Share with the patient").click()
    page.goto("/patients/CP-DEMOPAT1/dashboard/")
    assert page.get_by_text("Goal and clinical target: at most 4").count() == 1  # on the PEG chart
    check(page, "dashboard-careplan-clinician-desktop")
    page.locator("figure.chart", has_text="PEG").screenshot(path=str(SCREENSHOTS / "peg-goal.png"))
    page.locator(".side-grid").screenshot(path=str(SCREENSHOTS / "careplan-desktop.png"))

    log_in(phone, "patient")
    phone.goto("/patients/CP-DEMOPAT1/dashboard/")
    expect(phone.get_by_text("You will:")).to_be_visible()
    expect(phone.get_by_role("heading", name="In your words")).to_be_visible()
    check(phone, "dashboard-careplan-patient-phone")
    phone.locator(".side-grid").screenshot(path=str(SCREENSHOTS / "careplan-phone.png"))
    phone.locator(".records").screenshot(path=str(SCREENSHOTS / "records-phone.png"))
