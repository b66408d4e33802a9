"""A patient's own record to take away: the PDF and the FHIR Bundle (interop.record)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse

from coproduce.interop import record


def _attachment(response: HttpResponse, registry_id: str, ext: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="record-{registry_id}.{ext}"'
    return response


@login_required
def record_pdf(request, registry_id: str):
    patient = record.patient_for_download(request.user, registry_id, "pdf")
    response = HttpResponse(record.record_pdf(patient), content_type="application/pdf")
    return _attachment(response, patient.registry_id, "pdf")


@login_required
def record_fhir(request, registry_id: str):
    patient = record.patient_for_download(request.user, registry_id, "fhir")
    response = JsonResponse(record.record_bundle(patient), content_type="application/fhir+json")
    return _attachment(response, patient.registry_id, "json")
