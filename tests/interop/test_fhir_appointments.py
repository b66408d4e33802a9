"""FHIR R4 Appointment from an integration engine: the same import service as the CSV import."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from coproduce.checkins import previsit
from coproduce.checkins.models import InvitationStatus
from coproduce.platform import clock
from coproduce.visits.models import Appointment
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema
from tests.interop.test_apiclient import _token, bearer, create

pytestmark = pytest.mark.django_db
URL = "/fhir/R4/Appointment"


def _start(days: int, hour: int = 10) -> str:
    day = clock.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC).isoformat()


def appointment(patient, *, ident="EPIC-77", days=10, status="booked", **extra) -> dict:
    return {
        "resourceType": "Appointment",
        "identifier": [{"system": "urn:oid:1.2.3.4", "value": ident}],
        "status": status,
        "start": _start(days),
        "minutesDuration": 30,
        "appointmentType": {"text": "Follow-up"},
        "participant": [
            {"actor": {"reference": f"Patient/{patient.registry_id}"}, "status": "accepted"},
        ],
        **extra,
    }


@pytest.fixture
def engine(client, world):
    """An integration engine with system/Appointment.write, acting as nurse Nina."""
    made = create("engine", user="nina", scope="system/Appointment.write system/Appointment.read")
    return bearer(_token(client, made, "system/Appointment.write system/Appointment.read"))


def send(client, method: str, url: str, body: dict, auth: dict):
    call = client.post if method == "post" else client.put
    return call(url, json.dumps(body), content_type="application/fhir+json", **auth)


def test_a_system_creates_an_appointment_and_its_pre_visit_check_in(client, world, engine):
    res = send(client, "post", URL, appointment(world.alice), engine)
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["id"] == "EPIC-77" and res["Location"].endswith("/fhir/R4/Appointment/EPIC-77")
    stored = Appointment.objects.get()
    assert (stored.external_id, stored.minutes, stored.kind) == ("EPIC-77", 30, "Follow-up")
    assert stored.external_site == world.team_a.site
    invitation = previsit.invitation_of(stored)
    assert invitation.status == InvitationStatus.SCHEDULED
    assert invitation.expires_at == stored.starts_at
    # The same resource again: nothing changes (200, not 201).
    again = send(client, "post", URL, appointment(world.alice), engine)
    assert again.status_code == 200 and Appointment.objects.count() == 1


def test_an_update_that_moves_the_visit_re_plans_and_a_cancellation_cancels(client, world, engine):
    send(client, "post", URL, appointment(world.alice), engine)
    first = previsit.invitation_of(Appointment.objects.get())
    moved = send(client, "put", f"{URL}/EPIC-77", appointment(world.alice, days=20), engine)
    assert moved.status_code == 200, moved.content
    stored = Appointment.objects.get()
    replanned = previsit.invitation_of(stored)
    assert replanned.pk == first.pk and replanned.due_at > first.due_at
    assert replanned.expires_at == stored.starts_at
    cancelled = send(
        client,
        "put",
        f"{URL}/EPIC-77",
        appointment(world.alice, days=20, status="cancelled"),
        engine,
    )
    assert cancelled.json()["status"] == "cancelled"
    assert previsit.invitation_of(stored).status == InvitationStatus.CANCELLED


def test_a_put_to_an_unknown_id_creates_it(client, world, engine):
    res = send(client, "put", f"{URL}/NEW-1", appointment(world.alice, ident="NEW-1"), engine)
    assert res.status_code == 201
    assert Appointment.objects.get().external_id == "NEW-1"


def test_it_finds_the_patient_by_mrn(client, world, engine):
    world.alice.mrn = "100200"
    world.alice.save()
    body = appointment(world.alice)
    body["participant"] = [
        {
            "actor": {"identifier": {"system": "urn:oid:9.9", "value": "100200"}},
            "status": "accepted",
        }
    ]
    assert send(client, "post", URL, body, engine).status_code == 201
    assert Appointment.objects.get().patient == world.alice


def test_it_refuses_what_it_cannot_use_and_stores_nothing(client, world, engine):
    cases = [
        ({**appointment(world.alice), "status": "later"}, "Appointment.status"),
        ({**appointment(world.alice), "identifier": []}, "Appointment.identifier"),
        (
            {
                **appointment(world.alice),
                "participant": [
                    {"actor": {"reference": "Patient/CP-NOBODY00"}, "status": "accepted"}
                ],
            },
            "Appointment.participant[0].actor",
        ),
        ({**appointment(world.alice), "minutesDuration": 0}, "Appointment.minutesDuration"),
        ({**appointment(world.alice), "start": "2027-01-01T10:00:00"}, "Appointment.start"),
        (
            {
                **appointment(world.alice),
                "participant": [
                    {
                        "actor": {"reference": f"Patient/{world.alice.registry_id}"},
                        "status": "accepted",
                    },
                    {
                        "actor": {"reference": "Practitioner/x", "identifier": {"value": "nobody"}},
                        "status": "accepted",
                    },
                ],
            },
            "Appointment",
        ),
    ]
    for body, where in cases:
        res = send(client, "post", URL, body, engine)
        assert res.status_code == 400, (where, res.content)
        outcome = res.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["expression"] == [where], outcome
    assert not Appointment.objects.exists()


def test_it_needs_the_write_scope_and_a_care_team_user(client, world):
    reader = create("reader", user="nina", scope="system/*.read")
    auth = bearer(_token(client, reader, "system/Appointment.read"))
    assert send(client, "post", URL, appointment(world.alice), auth).status_code == 403
    outsider = create("outsider", user="carl", scope="system/Appointment.write")
    auth = bearer(_token(client, outsider, "system/Appointment.write"))
    res = send(client, "post", URL, appointment(world.alice), auth)
    assert res.status_code == 400 and "No patient you may see" in res.content.decode()
    client.force_login(world.alice.user)  # a patient's own session may not book
    res = client.post(
        URL, json.dumps(appointment(world.alice)), content_type="application/fhir+json"
    )
    assert res.status_code in (403, 404)
    assert not Appointment.objects.exists()


def _emitted(client, world, engine) -> list[dict]:
    """A read, a search Bundle and its entries, the CapabilityStatement and a refusal, each
    checked with the R4B models."""
    dana = world.nina
    send(client, "post", URL, appointment(world.alice), engine)
    stored = Appointment.objects.get()
    stored.clinician = dana
    stored.save()
    client.force_login(world.nina)
    read = client.get(f"{URL}/EPIC-77").json()
    bundle = client.get(URL, {"patient": world.alice.registry_id}).json()
    statement = client.get("/fhir/R4/metadata").json()
    refused = send(client, "post", URL, {**appointment(world.alice), "status": "x"}, engine).json()
    emitted = [read, bundle, *[e["resource"] for e in bundle["entry"]], statement, refused]
    assert bundle["total"] == 1 and read["participant"][1]["actor"]["display"]
    for resource in emitted:
        check_r4b(resource)
    return emitted


def test_every_emitted_appointment_is_valid_r4b(client, world, engine):
    emitted = _emitted(client, world, engine)
    assert [r["resourceType"] for r in emitted] == [
        "Appointment",
        "Bundle",
        "Appointment",
        "CapabilityStatement",
        "OperationOutcome",
    ]


def test_every_emitted_appointment_is_valid_for_the_official_r4_json_schema(client, world, engine):
    require_schema()
    emitted = _emitted(client, world, engine)
    assert {r["resourceType"]: r4_schema_errors(r) for r in emitted} == {
        "Appointment": [],
        "Bundle": [],
        "CapabilityStatement": [],
        "OperationOutcome": [],
    }


def test_a_system_finds_the_appointments_in_a_date_range(client, world, engine):
    for ident, days in (("A-1", 3), ("A-2", 10), ("A-3", 20)):
        assert send(client, "post", URL, appointment(world.alice, ident=ident, days=days), engine)
    later = (clock.today() + dt.timedelta(days=5)).isoformat()
    before = (clock.today() + dt.timedelta(days=15)).isoformat()
    found = client.get(
        URL, {"patient": world.alice.registry_id, "date": [f"ge{later}", f"lt{before}"]}, **engine
    )
    assert found.status_code == 200, found.content
    assert [e["resource"]["id"] for e in found.json()["entry"]] == ["A-2"]
    on_the_day = (clock.today() + dt.timedelta(days=3)).isoformat()
    day = client.get(URL, {"patient": world.alice.registry_id, "date": on_the_day}, **engine)
    assert [e["resource"]["id"] for e in day.json()["entry"]] == ["A-1"]
    bad = client.get(URL, {"patient": world.alice.registry_id, "date": "soon"}, **engine)
    assert bad.status_code == 400
