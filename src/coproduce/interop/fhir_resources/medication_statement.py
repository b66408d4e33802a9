"""FHIR MedicationStatement: medication lines, opioids with their daily MME as an extension."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from coproduce.careplans.mme import MMEError, daily_mme
from coproduce.careplans.models import Medication
from coproduce.instruments.definitions import NS
from coproduce.interop.fhir_resources.access import Caller, meta, number, read_row, rows_of, subject
from coproduce.interop.fhir_search import Page, Query, last_updated, tokens
from coproduce.platform import clock

MME_URL = NS + "mme"


def _medication_status(medication: Medication) -> str:
    return "active" if medication.active_on(clock.today()) else "completed"


def mme_extension(medication: Medication) -> dict[str, Any] | None:
    """The line's daily MME, factor and table (none for other pain medicines)."""
    if not medication.is_opioid:
        return None
    try:
        line = daily_mme(
            medication.drug,
            medication.strength,
            medication.unit,
            medication.per_day,
            table=medication.factor_table,
        )
    except MMEError as exc:
        return {"url": MME_URL, "extension": [{"url": "note", "valueString": str(exc)}]}
    parts: list[dict[str, Any]] = []
    if line.mme is not None:
        parts.append({"url": "dailyMme", "valueDecimal": number(line.mme)})
        parts.append({"url": "factor", "valueDecimal": number(line.factor or 0)})
    if line.note:
        parts.append({"url": "note", "valueString": line.note})
    parts.append({"url": "factorTable", "valueString": medication.factor_table})
    return {"url": MME_URL, "extension": parts}


def medication_statement_resource(medication: Medication) -> dict[str, Any]:
    dose = f"{medication.strength.normalize():f} {medication.unit}"
    if medication.per_day is not None:
        dose += _(", %(n)s times a day") % {"n": f"{medication.per_day.normalize():f}"}
    period = {"start": medication.started_on.isoformat()}
    if medication.stopped_on:
        period["end"] = medication.stopped_on.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.pk),
        "meta": meta(medication.updated_at),
        "status": _medication_status(medication),
        "medicationCodeableConcept": {"text": medication.drug},
        "subject": subject(medication.patient),
        "effectivePeriod": period,
        "dateAsserted": medication.created_at.isoformat(),
        "dosage": [{"text": dose}],
    }
    extension = mme_extension(medication)
    if extension is not None:
        resource["extension"] = [extension]
    return resource


def read_medication_statement(caller: Caller, resource_id: str) -> dict[str, Any]:
    medication = read_row(caller, Medication, resource_id, "MedicationStatement")
    return medication_statement_resource(medication)


def search_medication_statements(caller: Caller, query: Query) -> Page:
    medications = last_updated(rows_of(caller, query, Medication), query)
    wanted = {code for _s, code in tokens(query.get("status"))}
    ordered = medications.order_by("-started_on", "-pk")
    if wanted:
        return query.window_list(
            [m for m in ordered if _medication_status(m) in wanted], medication_statement_resource
        )
    return query.window(ordered, medication_statement_resource)
