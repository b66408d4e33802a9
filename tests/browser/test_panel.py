"""The advisory panel in a browser: a member answers on a phone from the e-mailed link and
sees the incentive; the team reads the feedback and pays a batch."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from coproduce.people.models import Patient
from coproduce.platform import clock, delivery
from coproduce.research import incentives, panel
from coproduce.research.incentive_models import BatchStatus, IncentiveRule, PaymentBatch
from coproduce.research.panel_models import PanelMember
from tests.browser.conftest import check, log_in, log_out

LINK = re.compile(r"https?://[^/\s]+(/panel/survey/[A-Za-z0-9_-]{32,64}/)")


def test_a_panel_member_answers_on_a_phone_and_sees_the_incentive(demo, smtp_server, phone):
    member = PanelMember.objects.get(user__username="panelist")
    [waiting] = panel.waiting_for(member, now=clock.now())
    delivery.send_pending()
    mails = [m for m in smtp_server.to(member.email) if waiting.survey.title in m.subject]
    assert len(mails) == 1
    link = LINK.search(mails[0].body).group(1)

    phone.goto(link)
    expect(phone.get_by_role("heading", name=waiting.survey.title)).to_be_visible()
    check(phone, "panel-survey-phone")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_text("Please answer the questions marked below.")).to_be_visible()
    check(phone, "panel-survey-phone-errors")
    phone.get_by_role("group", name="Is this easy to understand?").get_by_label("Mostly").check()
    phone.get_by_role("group", name="Does it speak to you with respect?").get_by_label(
        "Yes", exact=True
    ).check()
    phone.get_by_label("What would you change? (optional)").fill("Explain the word taper.")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(phone.get_by_text("$10.00 is added to your incentives")).to_be_visible()
    check(phone, "panel-survey-thanks")
    phone.goto(link)  # the link does not take a second answer
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()

    log_in(phone, "panelist")
    phone.wait_for_url("**/panel/")
    total = incentives.statement(member=member).total
    assert phone.locator("#earned").inner_text().startswith(f"You have earned {total} this year")
    expect(phone.get_by_text("No surveys are waiting. Thank you!")).to_be_visible()
    expect(phone.get_by_role("cell", name="A panel survey answered").first).to_be_visible()
    check(phone, "panel-home-phone")


def test_the_team_reads_feedback_and_pays_a_batch(demo, page):
    log_in(page, "coordinator")
    page.get_by_role("link", name="EMPOWER").click()
    page.get_by_role("link", name="Advisory panel").click()
    expect(page.get_by_role("heading", name="Is the panel representative?")).to_be_visible()
    check(page, "panel-team")
    page.get_by_role("link", name="Study description").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Version 2\.0"))).to_be_visible()
    check(page, "panel-material")

    page.goto("/research/studies/empower/")
    page.get_by_role("link", name="Incentives").click()
    check(page, "incentives-ledger")
    page.get_by_role("button", name="Make a payment batch").click()
    expect(page.locator(".status").first).to_have_text("Waiting for approval")
    batch = PaymentBatch.objects.get()
    log_out(page)

    log_in(page, "pi")
    page.goto("/research/studies/empower/incentives/")
    page.get_by_role("button", name=f"Approve batch {batch.pk}").click()
    page.wait_for_load_state("domcontentloaded")
    check(page, "incentives-ledger-pi")
    log_out(page)

    log_in(page, "coordinator")
    page.goto("/research/studies/empower/incentives/")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"CSV for the finance office (batch {batch.pk})").click()
    with open(download.value.path(), encoding="utf-8") as f:
        assert f.readline().startswith("batch,payee_id,payee_kind,name,email,entries,amount")
    page.get_by_role("button", name=f"Mark batch {batch.pk} as paid").click()
    expect(page.locator(".status").first).to_have_text("Paid")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    check(page, "incentives-ledger-paid")
    log_out(page)

    # Maria answers a study survey (the hourly job's accrual, made here directly).
    maria = Patient.objects.get(registry_id="CP-DEMOPAT1")
    rule = IncentiveRule.objects.get(study__slug="empower")
    incentives.accrue(rule, source="assessment:browser-test", earned_at=clock.now(), patient=maria)
    log_in(page, "patient")
    expect(page.get_by_text("You have earned $10.00 this year.")).to_be_visible()
    page.get_by_role("link", name="See my statement").click()
    expect(page.get_by_role("heading", name="Your study incentives")).to_be_visible()
    expect(page.get_by_role("cell", name="A study survey answered")).to_be_visible()
    check(page, "incentives-statement-patient")
    assert page.goto("/research/studies/empower/panel/").status == 404
    assert page.goto("/panel/").status == 404
