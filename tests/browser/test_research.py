"""The coordinator's day in a browser: screen, consent on a phone, randomise, CONSORT."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from coproduce.platform.models import Notification
from coproduce.research.participants import Allocation, Consent, Participant
from tests.browser.conftest import check, log_in, log_out

LINK = re.compile(r"(/consent/[A-Za-z0-9_-]{32,64}/)")


def test_the_coordinator_screens_consents_and_randomises_maria(demo, page, phone):
    log_in(page, "coordinator")
    page.get_by_role("link", name="EMPOWER").click()
    expect(page.get_by_role("heading", name="Participants by status")).to_be_visible()
    expect(page.get_by_role("heading", name="Follow-up calls due")).to_be_visible()
    check(page, "research-workspace")

    page.get_by_role("link", name="Screening log").click()
    check(page, "research-screening")
    page.get_by_role("button", name="Add Maria Lindqvist to the screening log").click()
    page.wait_for_url("**/participants/*/")
    page.get_by_role("button", name="Mark as approached").click()
    page.wait_for_load_state("domcontentloaded")
    for group in page.locator("fieldset").all():
        legend = group.locator("legend").inner_text()
        answer = "No" if legend.startswith("Exclusion") else "Yes"
        group.get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Confirm eligibility").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_text("Eligibility confirmed.")).to_be_visible()
    page.get_by_role("button", name="Send signing link").click()
    page.wait_for_load_state("domcontentloaded")
    check(page, "research-participant-link-sent")

    # Maria signs on her phone through the single-use link she was sent.
    body = Notification.objects.filter(purpose="consent_link").latest("pk").body
    link = LINK.search(body).group(1)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="EMPOWER: information and consent")).to_be_visible()
    check(phone, "research-consent-phone")
    phone.get_by_role("button", name="Sign").click()
    expect(phone.get_by_text("Type your full name to sign.")).to_be_visible()
    check(phone, "research-consent-phone-errors")
    phone.get_by_label("I have read this information and I agree to take part.").check()
    phone.get_by_label("Type your full name to sign").fill("Maria Lindqvist")
    phone.get_by_role("button", name="Sign").click()
    phone.wait_for_url("**/signed/")
    check(phone, "research-consent-signed")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download your signed copy (PDF)").click()
    with open(download.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    signed = Consent.objects.get(participant__patient__registry_id="CP-DEMOPAT1")
    assert signed.typed_name == "Maria Lindqvist"
    assert signed.device == phone.evaluate("navigator.userAgent")
    phone.goto(link)  # the link does not sign twice
    phone.wait_for_url("**/signed/")

    page.reload()
    assert page.locator("#status").inner_text() == "Consented"
    page.get_by_role("button", name="Randomise").click()
    expect(page.locator("#arm")).to_be_visible()
    participant = Participant.objects.get(patient__registry_id="CP-DEMOPAT1")
    arm = Allocation.objects.get(participant=participant).arm.name
    assert page.locator("#arm").inner_text() == arm
    check(page, "research-participant-randomised")

    page.get_by_role("link", name="EMPOWER").first.click()
    page.get_by_role("link", name="CONSORT flow").click()
    page.wait_for_url("**/consort/")
    expect(page.locator("figure svg")).to_have_count(1)
    # A drawn flow diagram (boxes and arrows), not a bar chart; named and described.
    diagram = page.locator("figure svg.flow")
    assert diagram.locator("rect").count() >= 3 + 3 * 2  # assessed, excluded, randomised, arms
    assert diagram.locator("line[marker-end]").count() >= 6
    assert diagram.get_by_text(re.compile(r"^Assessed for eligibility \(n=\d+\)$")).count() == 1
    assert diagram.get_by_text(re.compile(r"^Randomised \(n=\d+\)$")).count() == 1
    assert diagram.get_by_text(re.compile(r"^Analysed \(n=\d+\)$")).count() >= 2
    assert "Flow diagram." in diagram.locator("desc").text_content()
    expect(page.locator("#consort-table").get_by_text("Assessed for eligibility")).to_be_visible()
    check(page, "research-consort")
    log_out(page)


def test_the_pi_signs_off_the_new_version_and_the_statistician_sees_the_list(demo, page):
    log_in(page, "pi")
    page.get_by_role("link", name="EMPOWER").click()
    check(page, "research-pi")
    page.get_by_role("button", name="Sign off this version").click()
    page.wait_for_load_state("domcontentloaded")
    expect(page.get_by_text("re-consent link(s) sent")).to_be_visible()
    assert page.locator("#arm").count() == 0
    log_out(page)
    log_in(page, "statistician")
    page.get_by_role("link", name="EMPOWER").click()
    page.get_by_role("link", name="Allocation list (unblinded)").click()
    page.wait_for_url("**/allocations/")
    expect(page.locator("tbody tr")).to_have_count(Allocation.objects.count())
    check(page, "research-allocations")
