"""The withdrawal and flare questions on a phone: readable, accessible, and answered at once."""

from __future__ import annotations

import datetime as dt

from coproduce.checkins.models import Program
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock
from coproduce.safetynet.models import Alert
from coproduce.safetynet.rules import sync_rules
from tests.browser.conftest import check
from tests.safetynet.factories import enroll


def test_a_patient_reports_strong_withdrawal_and_a_flare_and_is_answered(world, phone):
    sync_rules()
    enroll(world.alice, "opioid-taper")
    enroll(world.alice, "ibd")
    assert Program.objects.filter(slug="ibd").exists()
    inv = on_demand(
        world.alice, ["withdrawal-nrs", "flare"], now=clock.now() - dt.timedelta(minutes=1)
    )
    token = issue_token(inv, purpose="invitation")

    phone.goto(f"/c/{token}/")  # the link opens on the first question
    phone.locator('label.opt:has(input[name="withdrawal-nrs"][value="8"])').click()
    check(phone, "checkin-withdrawal-nrs")
    phone.get_by_role("button", name="Next").click()
    phone.locator('label.opt:has(input[name="flare-now"][value="yes"])').click()
    check(phone, "checkin-flare")
    phone.get_by_role("button", name="Next").click()  # to the review, nothing else to tell
    phone.get_by_role("button", name="Send to my care team").click()
    phone.wait_for_load_state("domcontentloaded")
    replies = phone.locator(".reply").all_inner_texts()
    assert any("withdrawal symptoms bothered you a lot" in r for r in replies)
    assert any("flare" in r for r in replies)
    check(phone, "checkin-withdrawal-flare-reply")
    assert {a.rule_id for a in Alert.objects.all()} >= {
        "taper-withdrawal-severe",
        "flare-patient-reported",
    }
