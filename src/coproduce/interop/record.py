"""A patient's own record to take away (right of access): a FHIR Bundle and a readable PDF.

Both are built from the FHIR server's own QuestionnaireResponse builders (interop.fhir), so
the download says exactly what the API would. The PDF uses fpdf2's core fonts (Latin-1):
characters outside it are shown as "?".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _

from coproduce.instruments.library import get_definition
from coproduce.interop import fhir
from coproduce.people.access import get_patient_for, may_download_record, patients_visible_to
from coproduce.people.models import Patient, User
from coproduce.platform import clock

if TYPE_CHECKING:
    from fpdf import FPDF


def patient_for_download(user: User, registry_id: str, fmt: str) -> Patient:
    """Return the patient whose record `user` may take away, audited; else 404."""
    candidate = patients_visible_to(user).filter(registry_id=registry_id).first()
    if candidate is None or not may_download_record(user, candidate):
        raise Http404("No such patient.")
    return get_patient_for(user, registry_id, event="record.downloaded", detail={"format": fmt})


def _responses(patient: Patient):
    return (
        patient.checkin_responses.select_related("patient", "system_submission__client")
        .prefetch_related("scores")
        .order_by("submitted_at", "pk")
    )


def patient_resource(patient: Patient) -> dict[str, Any]:
    return fhir.without_empty(
        {
            "resourceType": "Patient",
            "id": patient.registry_id,
            "identifier": [{"system": fhir.REGISTRY_ID_SYSTEM, "value": patient.registry_id}],
            "name": [{"given": [patient.given_name], "family": patient.family_name}],
            "birthDate": patient.date_of_birth.isoformat(),
            "telecom": [
                {"system": "email", "value": patient.email} if patient.email else {},
                {"system": "phone", "value": patient.phone} if patient.phone else {},
            ],
        }
    )


def record_bundle(patient: Patient) -> dict[str, Any]:
    """A FHIR R4 'collection' Bundle: the Patient and every QuestionnaireResponse."""
    resources = [patient_resource(patient)]
    for response in _responses(patient):
        resources += fhir.questionnaire_responses(response)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": clock.now().isoformat(),
        "entry": [
            {"fullUrl": f"urn:coproduce:{r['resourceType']}:{r['id']}", "resource": r}
            for r in resources
        ],
    }


def _text(value: Any) -> str:
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _answer_text(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if key == "valueCoding":
            return str(value.get("display") or value.get("code"))
        if key.startswith("value"):
            return str(value)
    return ""


def _items(pdf: FPDF, items: list[dict[str, Any]], depth: int = 0) -> None:
    for item in items:
        answers = "; ".join(_answer_text(a) for a in item.get("answer", []))
        line = f"{item.get('text') or item['linkId']}: {answers}" if answers else item.get("text")
        if line:
            pdf.set_x(pdf.l_margin + 6 * depth)
            pdf.multi_cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
        _items(pdf, item.get("item", []), depth + 1)
        for answer in item.get("answer", []):
            _items(pdf, answer.get("item", []), depth + 1)


def record_pdf(patient: Patient) -> bytes:
    """Return the record as a PDF a person can read: who, their care, every check-in."""
    zone = patient.care_team.site.zone
    from fpdf import FPDF  # with fontTools ~1 s to import: only when a PDF is made

    pdf = FPDF(format="A4")
    pdf.set_title(_text(_("Health record of %(name)s") % {"name": patient.display_name}))
    pdf.set_creator("coproduce")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0,
        9,
        _text(_("Health record of %(name)s") % {"name": patient.display_name}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=11)
    facts = [
        (_("Registry ID"), patient.registry_id),
        (_("Date of birth"), formats.date_format(patient.date_of_birth, _("j F Y"))),
        (_("Care team"), f"{patient.care_team.shown_name}, {patient.care_team.site.name}"),
        (_("Conditions"), ", ".join(c.get_condition_display() for c in patient.conditions.all())),
        (_("Made on"), formats.date_format(clock.now().astimezone(zone), _("j F Y, H:i"))),
    ]
    for label, value in facts:
        pdf.multi_cell(0, 6, _text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    responses = list(_responses(patient))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _text(_("Check-ins")), new_x="LMARGIN", new_y="NEXT")
    if not responses:
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _text(_("No check-ins yet.")), new_x="LMARGIN", new_y="NEXT")
    for response in responses:
        when = formats.date_format(response.submitted_at.astimezone(zone), _("j F Y, H:i"))
        scores = {s.instrument_id: s for s in response.scores.all()}
        qrs = fhir.questionnaire_responses(response, scores.values())
        for instrument, qr in zip(response.answers, qrs, strict=True):
            score = scores.get(instrument)
            title = get_definition(instrument, response.versions.get(instrument)).title
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 11)
            heading = f"{when}: {title or instrument}"
            if score is not None and score.score is not None:
                heading += " - " + _("score %(score)s") % {"score": f"{score.score:g}"}
                if score.band:
                    heading += f" ({score.band})"
            pdf.multi_cell(0, 6, _text(heading), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=10)
            _items(pdf, qr.get("item", []))
    return bytes(pdf.output())
