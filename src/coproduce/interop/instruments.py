"""/api/v1/instruments/: the questionnaire library (not patient data; login required)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from ninja import Router, Schema

from coproduce.instruments.library import UnknownInstrument, get_definition, list_definitions

router = Router(tags=["instruments"])


class InstrumentOut(Schema):
    id: str
    version: str
    title: str
    kind: str
    audience: str
    items: int
    license: str
    citation: str
    languages: list[str]


@router.get("/", response=list[InstrumentOut], summary="List instrument versions")
def list_instruments(request):
    """Every shipped and imported instrument version."""
    return [d.summary() for d in list_definitions()]


@router.get("/{instrument_id}", response=dict[str, Any], summary="An instrument's Questionnaire")
def get_instrument(request, instrument_id: str, version: str | None = None):
    """The Questionnaire JSON as stored (latest version unless `version` is given)."""
    try:
        return get_definition(instrument_id, version).questionnaire
    except UnknownInstrument:
        raise Http404("No such instrument.") from None
