"""Each search filter the CapabilityStatement lists finds the right rows, and only those."""

import datetime as dt

import pytest

from coproduce.careplans.goals import update_goal
from coproduce.careplans.medications import record_medication, stop_medication
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM
from coproduce.interop.fhir_appointments import resource_id
from coproduce.platform import clock
from coproduce.visits.models import Appointment, AppointmentStatus
from tests.interop.test_fhir_resources import _search

CLINICAL = [
    "QuestionnaireResponse",
    "Observation",
    "Goal",
    "CarePlan",
    "MedicationStatement",
    "Appointment",
]
PHQ9 = "https://coproduce.org/fhir/Questionnaire/phq9"
MRN_SYSTEM = "https://coproduce.org/fhir/sid/mrn/"  # + the site's slug (docs/api.md)


def _ids(client, resource, **params) -> set[str]:
    return {e["resource"]["id"] for e in _search(client, resource, **params)["entry"]}


def _refused(client, resource, **params) -> str:
    res = client.get(f"/fhir/R4/{resource}", params)
    assert (res.status_code, res["Content-Type"]) == (400, "application/fhir+json"), res.content
    return res.json()["issue"][0]["diagnostics"]


def test_questionnaires_are_found_by_their_canonical_url_and_version(client, world):
    client.force_login(world.nina)
    (only,) = _search(client, "Questionnaire", url=PHQ9)["entry"]
    assert only["resource"]["id"] == "phq9" and only["resource"]["url"] == PHQ9
    version = only["resource"]["version"]
    assert _ids(client, "Questionnaire", url=f"{PHQ9}|{version}") == {"phq9"}
    assert _ids(client, "Questionnaire", url=f"{PHQ9}|9.9") == set()
    assert _ids(client, "Questionnaire", url=PHQ9 + "-nothing") == set()
    assert (
        _ids(client, "Questionnaire", url="https://elsewhere.example/Questionnaire/phq9") == set()
    )


@pytest.mark.parametrize("resource", CLINICAL)
def test_subject_finds_what_patient_finds_and_both_at_once_are_refused(
    client, world, record, resource
):
    client.force_login(world.nina)
    alice, tom = world.alice.registry_id, world.tom.registry_id
    by_patient = _ids(client, resource, patient=alice)
    assert by_patient, resource  # the record fixture gives Alice at least one of each
    assert _ids(client, resource, subject=f"Patient/{alice}") == by_patient
    assert _ids(client, resource, subject=alice) == by_patient
    assert _ids(client, resource, patient=f"Patient/{alice}") == by_patient
    # Both together, alike or not, are refused: a client must not guess which one counted.
    for other in (alice, tom):
        refused = _refused(client, resource, patient=alice, subject=f"Patient/{other}")
        assert "once" in refused, resource


def test_patient_identifier_values_separated_by_commas_are_alternatives(client, world, record):
    client.force_login(world.nina)
    alice, tom = world.alice.registry_id, world.tom.registry_id
    assert _ids(client, "Patient", identifier=f"{alice},{tom}") == {alice, tom}
    assert _ids(client, "Patient", identifier=f"{REGISTRY_ID_SYSTEM}|{alice},{tom}") == {
        alice,
        tom,
    }
    assert _ids(client, "Patient", identifier=f"{alice},CP-NOSUCH00") == {alice}
    # Repeated parameters must all match (AND): no patient has both registry IDs.
    res = client.get("/fhir/R4/Patient", [("identifier", alice), ("identifier", tom)])
    assert res.status_code == 200 and res.json()["total"] == 0


def test_a_patients_mrn_is_an_identifier_of_its_site_and_found_by_it(client, world, record):
    world.alice.mrn = "MRN-4711"
    world.alice.save()
    site = world.alice.care_team.site
    system = MRN_SYSTEM + site.slug
    client.force_login(world.nina)
    read = client.get(f"/fhir/R4/Patient/{world.alice.registry_id}").json()
    (mrn,) = [i for i in read["identifier"] if i["system"] == system]
    assert mrn["value"] == "MRN-4711" and mrn["type"]["coding"][0]["code"] == "MR"
    alice = world.alice.registry_id
    assert _ids(client, "Patient", identifier=f"{system}|MRN-4711") == {alice}
    assert _ids(client, "Patient", identifier="MRN-4711") == {alice}  # any system
    assert _ids(client, "Patient", identifier=f"{system}|MRN-4711,{world.tom.registry_id}") == {
        alice,
        world.tom.registry_id,
    }
    assert _ids(client, "Patient", identifier=f"{MRN_SYSTEM}another-site|MRN-4711") == set()
    assert _ids(client, "Patient", identifier=f"{REGISTRY_ID_SYSTEM}|MRN-4711") == set()
    # Tom has no MRN: no MRN identifier, and an empty value finds nobody.
    tom = client.get(f"/fhir/R4/Patient/{world.tom.registry_id}").json()
    assert [i["system"] for i in tom["identifier"]] == [REGISTRY_ID_SYSTEM]
    assert _ids(client, "Patient", identifier=f"{system}|") == set()
    # A clinician of another site finds nobody by it.
    client.force_login(world.carl)
    assert _ids(client, "Patient", identifier=f"{system}|MRN-4711") == set()


def test_patients_are_found_by_id(client, world, record):
    client.force_login(world.nina)
    alice, tom = world.alice.registry_id, world.tom.registry_id
    assert _ids(client, "Patient", _id=alice) == {alice}
    assert _ids(client, "Patient", _id=f"{alice},{tom}") == {alice, tom}
    assert _ids(client, "Patient", _id="CP-NOSUCH00") == set()


def test_goals_are_found_by_lifecycle_status(client, world, record):
    walk, target = record["goals"]
    update_goal(walk, by=world.alice.user, text=walk.text, status="achieved")
    client.force_login(world.nina)
    rid = world.alice.registry_id
    assert _ids(client, "Goal", patient=rid, **{"lifecycle-status": "completed"}) == {str(walk.pk)}
    assert _ids(client, "Goal", patient=rid, **{"lifecycle-status": "active"}) == {str(target.pk)}
    assert _ids(client, "Goal", patient=rid, **{"lifecycle-status": "active,completed"}) == {
        str(walk.pk),
        str(target.pk),
    }
    system = "http://hl7.org/fhir/goal-status|completed"
    assert _ids(client, "Goal", patient=rid, **{"lifecycle-status": system}) == {str(walk.pk)}
    assert _ids(client, "Goal", patient=rid, **{"lifecycle-status": "cancelled"}) == set()


def test_medication_statements_are_found_by_status(client, world, record):
    rid = world.alice.registry_id
    stopped = record_medication(
        world.alice,
        drug="tramadol",
        strength=50,
        unit="mg",
        per_day=2,
        started_on=dt.date(2026, 1, 5),
        by=record["doctor"],
    )
    stop_medication(stopped, on=dt.date(2026, 1, 20), by=record["doctor"])
    client.force_login(world.nina)
    with clock.frozen(dt.date(2026, 3, 1)):
        every = _ids(client, "MedicationStatement", patient=rid)
        completed = _ids(client, "MedicationStatement", patient=rid, status="completed")
        active = _ids(client, "MedicationStatement", patient=rid, status="active")
        both = _ids(client, "MedicationStatement", patient=rid, status="active,completed")
    assert completed == {str(stopped.pk)}
    assert active == every - {str(stopped.pk)} and len(active) == 2  # oxycodone, buprenorphine
    assert both == every


def test_appointments_are_found_by_status_as_a_token(client, world, record):
    booked = record["appointment"]
    made = {
        status: Appointment.objects.create(
            patient=world.alice,
            care_team=world.alice.care_team,
            starts_at=dt.datetime(2026, 1, day, 9, 0, tzinfo=dt.UTC),
            external_id=f"rec-{status}",
            status=status,
        )
        for day, status in ((12, AppointmentStatus.ATTENDED), (13, AppointmentStatus.CANCELLED))
    }
    client.force_login(world.nina)
    rid = world.alice.registry_id
    ids = {status: resource_id(a) for status, a in made.items()}
    assert _ids(client, "Appointment", patient=rid, status="booked") == {resource_id(booked)}
    assert _ids(client, "Appointment", patient=rid, status="fulfilled") == {
        ids[AppointmentStatus.ATTENDED]
    }
    assert _ids(
        client, "Appointment", patient=rid, status="http://hl7.org/fhir/appointmentstatus|cancelled"
    ) == {ids[AppointmentStatus.CANCELLED]}
    assert _ids(client, "Appointment", patient=rid, status="booked,cancelled") == {
        resource_id(booked),
        ids[AppointmentStatus.CANCELLED],
    }
    assert _ids(client, "Appointment", patient=rid, status="noshow") == set()
