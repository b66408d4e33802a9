"""What every FHIR resource type shares: who asks, the patient, reading a row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from coproduce.interop.fhir import REGISTRY_ID_SYSTEM, FhirInvalid, issue
from coproduce.interop.fhir_search import Query, reference_id, tokens
from coproduce.people.access import get_patient_for
from coproduce.people.models import Patient, User


@dataclass
class Caller:
    """Who asks: a logged-in user, or a system acting as its staff user."""

    user: User
    client: str = ""

    def detail(self, page: str, resource: str) -> dict[str, str]:
        found = {"page": page, "resource": resource}
        if self.client:
            found["client"] = self.client
        return found


def subject(patient: Patient) -> dict[str, Any]:
    # An identifier, never a reference to a database key (see docs/api.md).
    return {"identifier": {"system": REGISTRY_ID_SYSTEM, "value": patient.registry_id}}


def meta(updated: dt.datetime) -> dict[str, str]:
    """The resource's `meta`: when its record last changed (what _lastUpdated searches)."""
    return {"lastUpdated": updated.isoformat()}


def number(value: Any) -> int | float:
    """A decimal as JSON shows it: 4 for 4.00, else the float."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def searched_patient(caller: Caller, query: Query) -> Patient:
    given = query.get("patient") + query.get("subject")
    if len(given) != 1:
        raise FhirInvalid(
            [issue(_("Give the patient (patient=registry ID or subject=Patient/ID), once."))]
        )
    name = "patient" if query.get("patient") else "subject"
    registry_id = reference_id(name, given[0])
    return get_patient_for(
        caller.user, registry_id, detail=caller.detail("fhir search", query.resource.name)
    )


def read_patient_of(caller: Caller, patient_registry_id: str, resource: str) -> Patient:
    return get_patient_for(
        caller.user, patient_registry_id, detail=caller.detail("fhir read", resource)
    )


def pk_of(resource_id: str) -> int:
    if not resource_id.isdigit():
        raise Http404
    return int(resource_id)


def read_row(caller: Caller, model: type[Any], resource_id: str, resource: str) -> Any:
    """The row with this id if its patient is visible to the caller (audited), else 404."""
    row = model.objects.select_related("patient").filter(pk=pk_of(resource_id)).first()
    if row is None:
        raise Http404
    read_patient_of(caller, row.patient.registry_id, resource)
    return row


def rows_of(caller: Caller, query: Query, model: type[Any]) -> QuerySet:
    return model.objects.filter(patient=searched_patient(caller, query)).select_related("patient")


def by_status(rows: QuerySet, query: Query, name: str, codes: dict[Any, str]) -> QuerySet:
    """Filter by a token parameter whose FHIR codes map from our status values."""
    wanted = {code for _s, code in tokens(query.get(name))}
    if not wanted:
        return rows
    return rows.filter(status__in=[ours for ours, code in codes.items() if code in wanted])
