"""A parent opens her teen's dashboard on a phone: his PHQ-9 answers are not there."""

from django.db import transaction

from coproduce.checkins.services import submit_checkin
from coproduce.people.models import Patient
from coproduce.safetynet.models import Alert
from tests.browser.conftest import check, log_in

ANSWERS = {f"phq9-{n}": "LA6569-3" for n in range(1, 10)}  # item 9 "Several days" too


def test_a_teens_confidential_answers_are_hidden_from_the_parent(demo, phone):
    leo = Patient.objects.get(registry_id="CP-DEMOTEEN")
    with transaction.atomic():
        submit_checkin(patient=leo, answers={"phq9": ANSWERS}, idempotency_key="leo-phq9")
    assert Alert.objects.filter(patient=leo, status="open").exists()  # the team is told
    log_in(phone, "parent")
    phone.goto(f"/patients/{leo.registry_id}/dashboard/")
    body = phone.locator("main").inner_text()
    assert "private between Leo and the care team" in body
    assert "Little interest or pleasure" not in body and "PHQ-9" not in body
    assert "What your care team is doing" in body and "open alert" not in body
    check(phone, "teen-dashboard-parent-view")


def test_a_parent_answers_only_the_rest_of_a_teens_check_in(demo, phone):
    import datetime as dt

    from playwright.sync_api import expect

    from coproduce.checkins.models import OPEN_STATUSES, Invitation
    from coproduce.checkins.scheduling import on_demand
    from coproduce.checkins.tokens import issue_token
    from coproduce.platform import clock

    leo = Patient.objects.get(registry_id="CP-DEMOTEEN")
    Invitation.objects.filter(patient=leo, status__in=OPEN_STATUSES).update(status="cancelled")
    now = clock.now() - dt.timedelta(minutes=1)
    only_his = on_demand(leo, ["phq9"], now=now)
    on_demand(leo, ["pain-nrs", "phq9"], now=now)
    log_in(phone, "parent")
    phone.goto("/checkins/")
    # Only the check-in with something for the parent is offered, once.
    expect(phone.get_by_role("button", name="Start check-in for Leo")).to_have_count(1)
    phone.get_by_role("button", name="Start check-in for Leo").click()
    phone.wait_for_url("**/c/**")
    assert "Little interest or pleasure" not in phone.locator("main").inner_text()
    phone.locator('label.opt:has(input[name="pain-nrs"][value="3"])').click()
    phone.get_by_role("button", name="Next").click()
    expect(phone.locator("h1")).to_contain_text("Check your answers")
    body = phone.locator("main").inner_text()
    assert "Little interest" not in body and "PHQ-9" not in body
    check(phone, "teen-checkin-parent-review")
    # His PHQ-9 on its own, opened by the parent (a forwarded link): a clear page, no question.
    phone.goto(f"/c/{issue_token(only_his, purpose='invitation')}/")
    expect(phone.locator("h1")).to_contain_text("This check-in is for Leo to answer")
    assert "Little interest" not in phone.locator("main").inner_text()
    check(phone, "teen-checkin-private-parent")


def test_a_parent_is_not_told_of_an_alert_raised_by_a_teens_confidential_answers(demo, phone):
    leo = Patient.objects.get(registry_id="CP-DEMOTEEN")
    Alert.objects.filter(patient=leo).update(status="resolved")
    with transaction.atomic():
        submit_checkin(patient=leo, answers={"phq9": ANSWERS}, idempotency_key="leo-item9")
    assert Alert.objects.filter(patient=leo, status="open", priority=1).exists()
    log_in(phone, "parent")
    phone.goto(f"/patients/{leo.registry_id}/dashboard/")
    body = phone.locator("main").inner_text()
    assert "call you soon" not in body
    assert "Nothing from the check-ins is waiting for the team right now." in body
    check(phone, "teen-dashboard-parent-no-alert")
