"""A patient (or a young child's parent) downloads the whole record: PDF and FHIR Bundle."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fhir.resources.R4B.bundle import Bundle

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Role
from coproduce.platform import clock
from tests import factories
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema


@pytest.fixture
def answered(world):
    when = dt.datetime(2026, 2, 28, 9, 30, tzinfo=dt.UTC)
    response = CheckinResponse.objects.create(
        patient=world.alice,
        answers={"peg": {"peg-1": 6, "peg-2": 5, "peg-3": 4}},
        versions={"peg": "1.0"},
        idempotency_key="record-download-1",
        submitted_at=when,
    )
    Score.objects.create(
        response=response,
        patient=world.alice,
        instrument_id="peg",
        score=5,
        complete=True,
        version="1.0",
        at=when,
    )
    return response


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_patient_downloads_a_readable_pdf(client, world, answered):
    client.force_login(world.alice.user)
    response = client.get(f"/record/{world.alice.registry_id}/record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Health record of Alice" in text and world.alice.registry_id in text
    assert "28 February 2026" in text and "score 5" in text
    event = AuditEvent.objects.get(event="record.downloaded")
    assert event.actor == world.alice.user and event.detail == {"format": "pdf"}


def _record_bundle(client, world) -> dict:
    client.force_login(world.alice.user)
    response = client.get(f"/record/{world.alice.registry_id}/record.json")
    assert response.status_code == 200
    return response.json()


def test_the_fhir_bundle_is_valid_r4_built_by_the_servers_builders(client, world, answered):
    """Checked with the R4B models (R4 content validates with them), entry by entry too."""
    body = _record_bundle(client, world)
    bundle = Bundle.model_validate(body)
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds == ["Patient", "QuestionnaireResponse"]
    assert bundle.entry[1].resource.id == f"{answered.pk}-peg"
    for entry in body["entry"]:
        check_r4b(entry["resource"])


def test_the_fhir_bundle_is_valid_for_the_official_r4_json_schema(client, world, answered):
    require_schema()
    body = _record_bundle(client, world)
    problems = {
        f"{r['resourceType']}/{r.get('id', '')}": r4_schema_errors(r)
        for r in (body, *(e["resource"] for e in body["entry"]))
    }
    assert problems == {key: [] for key in problems}


def test_a_parent_downloads_for_a_young_child_but_not_for_a_teen(client, world):
    today = clock.today()
    child = factories.make_patient(
        world.team_a, given_name="Ida", born=today.replace(year=today.year - 8, day=1)
    )
    factories.link_proxy(world.paula, child)
    client.force_login(world.paula)
    assert client.get(f"/record/{child.registry_id}/record.pdf").status_code == 200
    # Tom is 14, past the site's teen age of 12: his record is his own to share.
    assert client.get(f"/record/{world.tom.registry_id}/record.pdf").status_code == 404
    page = client.get("/family/").content.decode()
    assert f"/record/{child.registry_id}/record.pdf" in page
    assert f"/record/{world.tom.registry_id}/record.pdf" not in page


def test_nobody_else_downloads_it(client, world):
    for user in [world.nina, world.carl, world.adam, factories.make_user(Role.PATIENT)]:
        client.force_login(user)
        assert client.get(f"/record/{world.alice.registry_id}/record.pdf").status_code == 404
        assert client.get(f"/record/{world.alice.registry_id}/record.json").status_code == 404
    assert not AuditEvent.objects.filter(event="record.downloaded").exists()


def test_the_patients_page_offers_both_downloads(client, world):
    client.force_login(world.alice.user)
    body = client.get("/me/").content.decode()
    assert f"/record/{world.alice.registry_id}/record.pdf" in body
    assert f"/record/{world.alice.registry_id}/record.json" in body
