"""/api/v1/patients/: the patients a user may see, and their scores."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from coproduce.audit.services import record
from coproduce.checkins.api import ScoreOut
from coproduce.checkins.models import Score
from coproduce.people.access import get_patient_for, patients_visible_to

router = Router(tags=["patients"])


class CareTeamOut(Schema):
    name: str
    site: str


class PatientOut(Schema):
    registry_id: str
    given_name: str
    family_name: str
    care_team: CareTeamOut


class PatientScoreOut(ScoreOut):
    at: dt.datetime
    questionnaire_response: str  # the id of the FHIR QuestionnaireResponse it scores


@router.get("/", response=list[PatientOut], summary="List the patients you may see")
def list_patients(request):
    """Return the patients visible to the user (audited with their registry IDs)."""
    patients = list(
        patients_visible_to(request.user)
        .select_related("care_team__site")
        .order_by("family_name", "given_name", "registry_id")
    )
    record(
        "patient.listed",
        actor=request.user,
        detail={"registry_ids": [p.registry_id for p in patients], "page": "api patients"},
    )
    return [
        {
            "registry_id": p.registry_id,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "care_team": {"name": p.care_team.name, "site": p.care_team.site.name},
        }
        for p in patients
    ]


@router.get("/{registry_id}/scores", response=list[PatientScoreOut], summary="A patient's scores")
def list_scores(request, registry_id: str, instrument: str | None = None):
    """Return the patient's scores, oldest first; 404 if missing or not visible."""
    patient = get_patient_for(request.user, registry_id, detail={"page": "api scores"})
    scores = Score.objects.filter(patient=patient).order_by("at", "pk")
    if instrument:
        scores = scores.filter(instrument_id=instrument)
    return [
        {
            "instrument_id": s.instrument_id,
            "version": s.version,
            "score": s.score,
            "band": s.band,
            "flags": list(s.flags or ()),
            "complete": s.complete,
            "reason": s.reason,
            "at": s.at,
            "questionnaire_response": f"{s.response_id}-{s.instrument_id}",
        }
        for s in scores
    ]
