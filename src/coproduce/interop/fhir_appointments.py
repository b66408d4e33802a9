"""FHIR R4 Appointment: read, and create/update by the clinic's scheduling system.

An integration engine sends its appointments as FHIR (a system token with
`system/Appointment.write`); they go through the same import service as the CSV import
(`visits.imports.import_appointment`), so a FHIR appointment is matched, refused and
re-planned (its pre-visit check-in) exactly as a CSV row is. The resource id is the
appointment's id in the scheduling system (its `identifier`), unique per site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticError

from coproduce.audit.services import record
from coproduce.interop.fhir import REGISTRY_ID_SYSTEM, FhirInvalid, issue
from coproduce.interop.fhir_resources.access import Caller, meta, searched_patient
from coproduce.interop.fhir_search import Page, Query, date_filter, last_updated, tokens
from coproduce.people.access import patients_visible_to
from coproduce.people.models import CARE_ROLES, Patient
from coproduce.visits.imports import (
    DEFAULT_MINUTES,
    MAX_MINUTES,
    AppointmentIn,
    RowRefused,
    import_appointment,
)
from coproduce.visits.models import Appointment, AppointmentStatus

APPOINTMENT_ID_SYSTEM = "https://coproduce.org/fhir/sid/appointment-id"
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
STATUS_IN = {
    "proposed": AppointmentStatus.BOOKED,
    "pending": AppointmentStatus.BOOKED,
    "booked": AppointmentStatus.BOOKED,
    "waitlist": AppointmentStatus.BOOKED,
    "arrived": AppointmentStatus.ATTENDED,
    "checked-in": AppointmentStatus.ATTENDED,
    "fulfilled": AppointmentStatus.ATTENDED,
    "cancelled": AppointmentStatus.CANCELLED,
    "entered-in-error": AppointmentStatus.CANCELLED,
    "noshow": AppointmentStatus.MISSED,
}
STATUS_OUT: dict[str, str] = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ATTENDED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.MISSED: "noshow",
}


def resource_id(appointment: Appointment) -> str:
    """The FHIR id: the scheduling system's id, or a digest of it where FHIR would refuse it."""
    external = appointment.external_id
    if external and FHIR_ID.match(external):
        return external
    seed = external or f"coproduce-{appointment.pk}"
    return "x-" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def appointment_resource(appointment: Appointment) -> dict[str, Any]:
    """An R4 Appointment for one row (patient by registry ID, never by database key)."""
    ends = appointment.starts_at + dt.timedelta(minutes=appointment.minutes)
    participants: list[dict[str, Any]] = [
        {
            "actor": {
                "identifier": {
                    "system": REGISTRY_ID_SYSTEM,
                    "value": appointment.patient.registry_id,
                }
            },
            "status": "accepted",
        }
    ]
    if appointment.clinician is not None:
        participants.append(
            {
                "actor": {"display": appointment.clinician.get_full_name()},
                "status": "accepted",
            }
        )
    out: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": resource_id(appointment),
        "meta": meta(appointment.updated_at),
        "status": STATUS_OUT.get(appointment.status, "booked"),
        "start": appointment.starts_at.isoformat(),
        "end": ends.isoformat(),
        "minutesDuration": appointment.minutes,
        "participant": participants,
    }
    if appointment.external_id:
        out["identifier"] = [{"system": APPOINTMENT_ID_SYSTEM, "value": appointment.external_id}]
    if appointment.kind:
        out["appointmentType"] = {"text": appointment.kind}
    if appointment.reason:
        out["description"] = appointment.reason
    return out


def _visible(caller: Caller):
    return Appointment.objects.filter(patient__in=patients_visible_to(caller.user))


def _find(caller: Caller, fhir_id: str) -> Appointment | None:
    rows = _visible(caller).select_related("patient", "clinician")
    found = rows.filter(external_id=fhir_id).order_by("pk").first()
    if found is None and fhir_id.startswith("x-"):
        found = next((a for a in rows.exclude(external_id="") if resource_id(a) == fhir_id), None)
    return found


def read_appointment(caller: Caller, fhir_id: str) -> dict[str, Any]:
    appointment = _find(caller, fhir_id)
    if appointment is None:
        raise Http404(_("No such Appointment."))
    record(
        "patient.viewed",
        actor=caller.user,
        patient=appointment.patient,
        detail=caller.detail("fhir read", "Appointment"),
    )
    return appointment_resource(appointment)


def search_appointments(caller: Caller, query: Query) -> Page:
    """One patient's appointments, soonest first (status=booked etc. narrows them)."""
    patient = searched_patient(caller, query)
    rows = Appointment.objects.filter(patient=patient).select_related("patient", "clinician")
    # A token: `booked`, `booked,noshow` or `http://hl7.org/fhir/appointmentstatus|booked`.
    wanted = {code for _system, code in tokens(query.get("status"))}
    if wanted:
        ours = [k for k, v in STATUS_OUT.items() if v in wanted]
        rows = rows.filter(status__in=ours)
    rows = date_filter(rows, "starts_at", "date", query.get("date"))
    rows = last_updated(rows, query)
    return query.window(rows.order_by("starts_at", "pk"), appointment_resource)


def _structure(body: dict[str, Any]) -> None:
    """Refuse what is not an R4 Appointment, naming the element."""
    try:
        get_fhir_model_class("Appointment").model_validate(body)
    except PydanticError as exc:
        raise FhirInvalid(
            [
                issue(str(e.get("msg", "invalid")), "Appointment." + ".".join(map(str, e["loc"])))
                for e in exc.errors()[:10]
            ]
        ) from None


def _patient_of(caller: Caller, body: dict[str, Any]) -> Patient:
    """The one patient participant, by registry ID (reference or identifier) or MRN."""
    visible = patients_visible_to(caller.user).select_related("care_team__site")
    for n, participant in enumerate(body.get("participant") or []):
        actor = participant.get("actor") or {}
        reference = actor.get("reference") or ""
        ident = actor.get("identifier") or {}
        where = f"Appointment.participant[{n}].actor"
        if reference.startswith("Patient/"):
            found = visible.filter(registry_id=reference.removeprefix("Patient/")).first()
        elif ident and actor.get("type", "Patient") == "Patient" and not reference:
            value = ident.get("value") or ""
            if ident.get("system") == REGISTRY_ID_SYSTEM:
                found = visible.filter(registry_id=value).first()
            else:
                matches = list(visible.filter(mrn=value)[:2]) if value else []
                if len(matches) > 1:
                    raise FhirInvalid(
                        [
                            issue(
                                _("MRN %(mrn)s names patients at two sites.") % {"mrn": value},
                                where,
                            )
                        ]
                    )
                found = matches[0] if matches else None
        else:
            continue
        if found is None:
            raise FhirInvalid(
                [
                    issue(
                        _("No patient you may see matches this participant."),
                        where,
                        code="not-found",
                    )
                ]
            )
        return found
    raise FhirInvalid(
        [
            issue(
                _("Name the patient as a participant (Patient/REGISTRY-ID or an MRN identifier)."),
                "Appointment.participant",
            )
        ]
    )


def _clinician_of(body: dict[str, Any]) -> str:
    for participant in body.get("participant") or []:
        actor = participant.get("actor") or {}
        if (actor.get("reference") or "").startswith("Practitioner/") or actor.get(
            "type"
        ) == "Practitioner":
            return (actor.get("identifier") or {}).get("value") or ""
    return ""


def _row(body: dict[str, Any], fhir_id: str, patient: Patient) -> AppointmentIn:
    status = STATUS_IN.get(body.get("status") or "")
    if status is None:
        raise FhirInvalid([issue(_("Unknown status."), "Appointment.status")])
    if not body.get("start"):
        raise FhirInvalid([issue(_("The start time is required."), "Appointment.start")])
    start = dt.datetime.fromisoformat(body["start"].replace("Z", "+00:00"))
    if start.tzinfo is None:
        raise FhirInvalid([issue(_("The start needs a time zone offset."), "Appointment.start")])
    minutes = body.get("minutesDuration")
    if minutes is None and body.get("end"):
        end = dt.datetime.fromisoformat(body["end"].replace("Z", "+00:00"))
        minutes = round((end - start).total_seconds() / 60)
    minutes = DEFAULT_MINUTES if minutes is None else int(minutes)
    if not 1 <= minutes <= MAX_MINUTES:
        raise FhirInvalid(
            [
                issue(
                    _("The visit must last 1 to %(max)s minutes.") % {"max": MAX_MINUTES},
                    "Appointment.minutesDuration",
                )
            ]
        )
    kind = body.get("appointmentType") or {}
    coding = (kind.get("coding") or [{}])[0]
    return AppointmentIn(
        external_id=fhir_id,
        patient=patient.registry_id,
        patient_key="registry_id",
        starts_at=start,
        minutes=minutes,
        clinician=_clinician_of(body),
        kind=kind.get("text") or coding.get("display") or coding.get("code") or "",
        status=status,
    )


def _external_id(body: dict[str, Any], path_id: str | None) -> str:
    identifiers = [i.get("value") for i in body.get("identifier") or [] if i.get("value")]
    if path_id is not None:
        if body.get("id") not in (None, path_id):
            raise FhirInvalid(
                [issue(_("The id in the body differs from the URL."), "Appointment.id")]
            )
        return path_id
    chosen = identifiers[0] if identifiers else body.get("id")
    if not chosen:
        raise FhirInvalid(
            [
                issue(
                    _("Give the appointment's id in your system as an identifier."),
                    "Appointment.identifier",
                )
            ]
        )
    return str(chosen)


def write_appointment(
    caller: Caller, body: dict[str, Any], path_id: str | None = None
) -> tuple[dict[str, Any], str]:
    """Create or update from an R4 Appointment; (resource, "created"|"updated"|"unchanged").

    The caller owns the transaction. FhirInvalid says what was refused and where.
    """
    if caller.user.role not in CARE_ROLES:
        raise Http404(_("No such Appointment."))
    _structure(body)
    fhir_id = _external_id(body, path_id)
    patient = _patient_of(caller, body)
    row = _row(body, fhir_id, patient)
    try:
        appointment, verb = import_appointment(
            row, site=patient.care_team.site, actor=caller.user, source="fhir"
        )
    except RowRefused as exc:
        raise FhirInvalid([issue(str(exc), "Appointment", code="business-rule")]) from None
    return appointment_resource(appointment), verb
