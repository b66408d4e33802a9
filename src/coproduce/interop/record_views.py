"""A patient's own record to take away: the PDF and the FHIR Bundle (interop.record)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse

from coproduce.interop import record


@login_required
def record_pdf(request, registry_id: str):
    patient = record.patient_for_download(request.user, registry_id, "pdf")
    response = HttpResponse(record.record_pdf(patient), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="record-{patient.registry_id}.pdf"'
    return response


@login_required
def record_fhir(request, registry_id: str):
    patient = record.patient_for_download(request.user, registry_id, "fhir")
    response = JsonResponse(record.record_bundle(patient), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="record-{patient.registry_id}.json"'
    return response
