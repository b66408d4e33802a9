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
