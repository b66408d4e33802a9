"""Medicines: entered by the team, checked against the plan, confirmed by the patient."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coproduce.audit.models import AuditEvent
from coproduce.careplans import services
from coproduce.careplans.models import Medication
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert
from tests import factories
from tests.careplans.helpers import clinician_for, oxycodone_plan

D = Decimal
START = dt.date(2025, 1, 6)


@pytest.fixture
def doc(world):
    return clinician_for(world.team_a)


def _url(patient, rest=""):
    return f"/patients/{patient.registry_id}/plan/{rest}"


def _oxy(world, by, *, strength=10, per_day=3, on=None):
    return services.record_medication(
        world.alice,
        drug="oxycodone",
        strength=strength,
        per_day=per_day,
        started_on=on or clock.today() - dt.timedelta(days=30),
        by=by,
    )


FORM = {"kind": "opioid", "drug": "oxycodone", "strength": "10", "unit": "mg", "per_day": "3"}


# --- record_medication checks the plan ------------------------------------------------------


def test_an_abrupt_cut_recorded_outside_the_plan_raises_an_alert(world, doc):
    oxycodone_plan(world.alice, doc)
    med = world.alice.medications.get()
    cut = services.record_medication(
        world.alice,
        drug="oxycodone",
        strength=10,
        per_day=3,
        started_on=START + dt.timedelta(days=10),
        by=doc,
        replaces=med,
    )
    assert cut.dose_alert is not None and cut.dose_alert.data["kind"] == "abrupt_reduction"
    assert D(Alert.objects.get(rule_id=services.DOSE_RULE_ID).data["to_mme"]) == 45
    assert AuditEvent.objects.filter(event="careplans.dose.flagged").count() == 1


def test_an_unplanned_increase_raises_an_alert_and_a_planned_step_does_not(world, doc):
    oxycodone_plan(world.alice, doc)
    med = world.alice.medications.get()
    step = services.record_medication(
        world.alice,
        drug="oxycodone",
        strength=D("27.5"),
        per_day=2,
        started_on=START + dt.timedelta(weeks=4),
        by=doc,
        replaces=med,
    )
    assert step.dose_alert is None
    extra = services.record_medication(
        world.alice,
        drug="morphine",
        strength=30,
        per_day=2,
        started_on=START + dt.timedelta(weeks=5),
        by=doc,
    )
    assert extra.dose_alert.data["kind"] == "unplanned_increase"
    assert Alert.objects.filter(rule_id=services.DOSE_RULE_ID).count() == 1


def test_stopping_an_opioid_at_once_raises_an_alert_and_other_medicines_do_not(world, doc):
    oxy = _oxy(world, doc)
    para = services.record_medication(
        world.alice,
        drug="paracetamol",
        strength=1000,
        per_day=3,
        started_on=clock.today() - dt.timedelta(days=30),
        by=doc,
        is_opioid=False,
    )
    assert para.dose_alert is None
    services.stop_medication(para, on=clock.today(), by=doc)
    assert not Alert.objects.exists()
    services.stop_medication(oxy, on=clock.today(), by=doc)
    assert oxy.dose_alert.data["kind"] == "abrupt_reduction"
    with pytest.raises(ValidationError, match="already stopped"):
        services.stop_medication(oxy, on=clock.today(), by=doc)


def test_it_refuses_an_opioid_recorded_as_another_medicine(world, doc):
    with pytest.raises(ValidationError, match="is an opioid"):
        services.record_medication(
            world.alice,
            drug="Tramadol HCl",
            strength=50,
            per_day=2,
            started_on=START,
            by=doc,
            is_opioid=False,
        )
    assert not Medication.objects.exists()


# --- The team's pages -----------------------------------------------------------------------------


def test_the_nurse_checks_then_adds_a_medicine_and_sees_the_total(client, world):
    client.force_login(world.nina)
    page = client.get(_url(world.alice, "medications/new/"))
    assert page.status_code == 200
    on = clock.today().isoformat()
    check = client.post(_url(world.alice, "medications/new/"), {**FORM, "started_on": on})
    body = check.content.decode()
    assert "MME check (nothing saved yet)" in body and "45 MME/day" in body
    assert not Medication.objects.exists()
    saved = client.post(
        _url(world.alice, "medications/new/"), {**FORM, "started_on": on, "save": "1"}
    )
    assert saved.status_code == 302
    med = Medication.objects.get()
    assert (med.drug, med.entered_by, med.confirmed_by_patient_at) == (
        "oxycodone",
        world.nina,
        None,
    )
    plan = client.get(_url(world.alice)).content.decode()
    assert "<strong>45</strong>" in plan and "Not yet" in plan
    assert AuditEvent.objects.filter(
        event="careplans.medication.recorded", actor=world.nina, patient=world.alice
    ).exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"drug": "oxycodeine"}, "Medicine", "is not in the MME table"),
        ({"unit": "ml"}, "Unit", "unknown unit"),
        ({"unit": "mcg/hr"}, "Unit", "oxycodone: the unit mcg/hr does not fit; use mg."),
        (
            {"drug": "fentanyl", "unit": "mcg/hr", "per_day": "3"},
            "Doses per day",
            "no doses per day",
        ),
        ({"per_day": ""}, "Doses per day", "doses per day is missing"),
        ({"strength": "0"}, "Strength", "greater than zero"),
        ({"strength": "ten"}, "Strength", "Enter a number"),
        ({"kind": "other", "drug": "morphine"}, "Medicine", "is an opioid"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(client, world, change, field, words):
    client.force_login(world.nina)
    form = {**FORM, "started_on": clock.today().isoformat(), "save": "1", **change}
    response = client.post(_url(world.alice, "medications/new/"), form)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"{field}: " in body and words in body, body[body.find("error-summary") :][:600]
    assert not Medication.objects.exists()


def test_a_dose_change_keeps_history_and_warns_about_an_abrupt_cut(client, world):
    old = _oxy(world, world.nina, strength=20)
    client.force_login(world.nina)
    url = _url(world.alice, f"medications/{old.pk}/change/")
    assert 'value="20"' in client.get(url).content.decode()
    response = client.post(
        url, {**FORM, "started_on": clock.today().isoformat(), "save": "1"}, follow=True
    )
    assert "too abrupt" in response.content.decode()
    old.refresh_from_db()
    assert old.stopped_on == clock.today()
    assert world.alice.medications.count() == 2
    assert Alert.objects.get().rule_id == services.DOSE_RULE_ID
    assert client.get(url).status_code == 404  # the old line is history now


def test_the_team_stops_a_medicine(client, world):
    med = _oxy(world, world.nina)
    client.force_login(world.nina)
    url = _url(world.alice, f"medications/{med.pk}/stop/")
    assert "abrupt reduction" in client.get(url).content.decode()
    client.post(url, {"stopped_on": clock.today().isoformat()})
    med.refresh_from_db()
    assert med.stopped_on == clock.today()
    assert services.current_mme(world.alice) == 0


def test_only_the_patients_nurse_or_clinician_enter_medicines(client, world):
    med = _oxy(world, world.nina)
    pages = ["medications/new/", f"medications/{med.pk}/change/", f"medications/{med.pk}/stop/"]
    for user in (world.carl, world.ruth, world.cora, world.alice.user, world.paula):
        client.force_login(user)
        for rest in pages:
            assert client.get(_url(world.alice, rest)).status_code == 404, (user.role, rest)
        client.post(_url(world.alice, f"medications/{med.pk}/stop/"), {"stopped_on": "2030-01-01"})
    med.refresh_from_db()
    assert med.stopped_on is None
    other = factories.make_patient(world.team_a)
    client.force_login(world.nina)
    assert client.get(_url(other, f"medications/{med.pk}/change/")).status_code == 404


# --- "Is this what you take?" -------------------------------------------------------------


def test_the_patient_confirms_a_medicine(client, world):
    med = _oxy(world, world.nina)
    client.force_login(world.alice.user)
    plan = client.get(_url(world.alice)).content.decode()
    assert "1 medicine to check" in plan
    page = client.get(_url(world.alice, "medications/check/")).content.decode()
    assert "Yes, this is what I take" in page and "Oxycodone 10 mg, 3 a day" in page
    client.post(_url(world.alice, "medications/check/"), {"medication": med.pk, "answer": "yes"})
    med.refresh_from_db()
    assert med.confirmed_by_patient_at is not None
    event = AuditEvent.objects.get(event="careplans.medication.confirmed")
    assert (event.actor, event.patient) == (world.alice.user, world.alice)
    assert not Alert.objects.exists()


def test_something_is_wrong_reaches_the_team_as_a_routine_alert(client, world):
    med = _oxy(world, world.nina)
    services.confirm_medication(med, by=world.alice.user)
    client.force_login(world.alice.user)
    url = _url(world.alice, "medications/check/")
    empty = client.post(url, {"medication": med.pk, "answer": "no", "note": "  "})
    assert "Tell your team what is different" in empty.content.decode()
    assert not Alert.objects.exists()
    client.post(url, {"medication": med.pk, "answer": "no", "note": "I take it twice a day"})
    alert = Alert.objects.get()
    assert (alert.priority, alert.rule_id) == (Priority.ROUTINE, services.MEDICATION_RULE_ID)
    assert alert.care_team == world.team_a and alert.data["note"] == "I take it twice a day"
    med.refresh_from_db()
    assert med.confirmed_by_patient_at is None
    assert AuditEvent.objects.filter(event="careplans.medication.disputed").exists()


def test_a_parent_confirms_for_their_child_and_the_audit_says_so(client, world):
    med = services.record_medication(
        world.tom, drug="tramadol", strength=50, per_day=2, started_on=START, by=world.nina
    )
    client.force_login(world.paula)
    page = client.get(_url(world.tom, "medications/check/")).content.decode()
    assert "what Tom takes" in page
    client.post(_url(world.tom, "medications/check/"), {"medication": med.pk, "answer": "yes"})
    event = AuditEvent.objects.get(event="careplans.medication.confirmed")
    assert (event.actor, event.acting_for) == (world.paula, world.tom)


def test_only_the_patient_or_parent_confirm(client, world):
    med = _oxy(world, world.nina)
    for user in (world.nina, world.carl, world.ruth, world.paula):
        client.force_login(user)
        assert client.get(_url(world.alice, "medications/check/")).status_code == 404, user.role
        client.post(
            _url(world.alice, "medications/check/"), {"medication": med.pk, "answer": "yes"}
        )
    med.refresh_from_db()
    assert med.confirmed_by_patient_at is None
    with pytest.raises(PermissionDenied):
        services.confirm_medication(med, by=world.nina)
    # Another patient's medicine cannot be confirmed through Alice's page.
    tom_med = services.record_medication(
        world.tom, drug="tramadol", strength=50, per_day=2, started_on=START, by=world.nina
    )
    client.force_login(world.alice.user)
    response = client.post(
        _url(world.alice, "medications/check/"), {"medication": tom_med.pk, "answer": "yes"}
    )
    assert response.status_code == 404
