"""Check-in answers as REDCap records, in REDCap's flat CSV import format.

One row per answered instrument of each check-in: the record id (the patient's registry ID
for ``--program``, the study pseudonym for ``--study``), ``redcap_event_name`` when
``--event`` is given,
``redcap_repeat_instrument`` / ``redcap_repeat_instance`` (every check-in is one more
instance of a repeating instrument), the variables as ``coproduce redcap export`` names
them (checkboxes as ``var___code`` 1/0, yes/no as 1/0, dates as Y-M-D and date-times as
Y-M-D H:M in the clinic's zone) and ``<form>_complete`` (2 complete, 0 incomplete).
See REDCap's Data Import Tool help.

Only answers given while the patient was enrolled in the program are written, and every
patient written is audited. For a study: the instruments of its schedule of assessments
(a care check-in's answer to one counts for the study too), from consent on, of every
participant who consented — not those who withdrew data use, and nothing after a
withdrawal from follow-up or after completion. No arm or allocation is ever written.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import audit_event
from coproduce.checkins.models import CheckinResponse, Enrollment, Program
from coproduce.instruments.definitions import Definition
from coproduce.instruments.library import UnknownInstrument, get_definition
from coproduce.interop.redcap import FORM, TYPE, VAR, dictionary_rows, fields_of

COMPLETE, INCOMPLETE = "2", "0"


class RecordsRefused(ValueError):
    """The records cannot be written; the message says why (nothing is written)."""


def _columns(definition: Definition) -> tuple[str, list[tuple[str, str, str | None]]]:
    """(form name, [(column, linkId, checkbox code or None)])."""
    form = dictionary_rows(definition)[0][FORM]
    columns: list[tuple[str, str, str | None]] = []
    for link_id, row in fields_of(definition):
        item = definition.item_map.get(link_id)
        if item is None or not item.answerable or row[TYPE] == "calc":
            continue  # REDCap computes its calculated fields itself (Data Quality rule H)
        name = row[VAR]
        if item.repeats and item.options:
            columns += [(f"{name}___{o.code.lower()}", link_id, o.code) for o in item.options]
        else:
            columns.append((name, link_id, None))
    return form, columns


def _cell(definition: Definition, link_id: str, code: str | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "0" if code is not None else ""
    if code is not None:
        return "1" if code in (value if isinstance(value, list) else [value]) else "0"
    item = definition.item_map[link_id]
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):  # a quantity: REDCap keeps the number
        value = value.get("value", "")
    if item.type == "dateTime" and isinstance(value, str) and "T" in value:
        moment = dt.datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _program_responses(slug: str) -> tuple[Program, list[CheckinResponse]]:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        known = ", ".join(Program.objects.order_by("slug").values_list("slug", flat=True))
        raise RecordsRefused(f"no program {slug!r}" + (f"; programs: {known}" if known else ""))
    responses: list[CheckinResponse] = []
    enrollments = Enrollment.objects.filter(program=program).select_related("patient")
    for enrollment in enrollments.order_by("patient__registry_id"):
        mine = CheckinResponse.objects.filter(patient=enrollment.patient).prefetch_related("scores")
        for response in mine.order_by("submitted_at", "pk"):
            day = timezone.localtime(response.submitted_at).date()
            ended = enrollment.ended_on
            if day >= enrollment.started_on and (ended is None or day <= ended):
                responses.append(response)
    return program, responses


@dataclass
class Chosen:
    """Whose check-ins are written, and how each is named and limited."""

    audit: dict[str, str]  # {"program": slug} or {"study": slug}
    responses: list[CheckinResponse]
    record_ids: dict[int, str]  # patient pk -> record id
    instruments: set[str] | None = None  # None: every instrument answered


def _study_responses(slug: str) -> Chosen:
    from coproduce.research.access import JOINED
    from coproduce.research.deid import pseudonym
    from coproduce.research.models import Study
    from coproduce.research.participants import Participant, WithdrawalScope

    study = Study.objects.filter(slug=slug).select_related("assessments").first()
    if study is None:
        known = ", ".join(Study.objects.order_by("slug").values_list("slug", flat=True))
        raise RecordsRefused(f"no study {slug!r}" + (f"; studies: {known}" if known else ""))
    instruments: set[str] = set()
    if study.assessments is not None:
        for schedule in study.assessments.schedules.all():
            instruments |= set(schedule.instruments)
    participants = (
        Participant.objects.filter(study=study, status__in=JOINED, consented_at__isnull=False)
        .exclude(withdrawals__scope=WithdrawalScope.DATA)
        .select_related("patient")
        .prefetch_related("withdrawals")
        .order_by("pk")
    )
    responses: list[CheckinResponse] = []
    record_ids: dict[int, str] = {}
    for participant in participants:
        end = participant.completed_at
        for withdrawal in participant.withdrawals.all():
            if withdrawal.scope == WithdrawalScope.FOLLOW_UP:
                end = withdrawal.at if end is None else min(end, withdrawal.at)
        mine = CheckinResponse.objects.filter(
            patient=participant.patient, submitted_at__gte=participant.consented_at
        )
        if end is not None:
            mine = mine.filter(submitted_at__lte=end)
        found = [
            r
            for r in mine.prefetch_related("scores").order_by("submitted_at", "pk")
            if instruments & set(r.answers)
        ]
        if found:
            patient = participant.patient
            record_ids[participant.patient_id] = pseudonym(study.slug, patient.registry_id)
            responses += found
    return Chosen({"study": study.slug}, responses, record_ids, instruments)


def export_records(
    *, study: str | None = None, program: str | None = None, out: Path, event: str = ""
) -> int:
    """Write the records of a study's participants or a program's patients to ``out``;
    return the number of rows written."""
    if study is not None:
        chosen = _study_responses(study)
    else:
        assert program is not None
        care, responses = _program_responses(program)
        chosen = Chosen(
            {"program": care.slug},
            responses,
            {r.patient_id: r.patient.registry_id for r in responses},
        )
    layout: dict[tuple[str, str], tuple[Definition, str, list]] = {}
    records: list[dict[str, str]] = []
    instances: dict[tuple[str, str], int] = {}
    for response in chosen.responses:
        complete = {s.instrument_id: s.complete for s in response.scores.all()}
        for instrument_id in sorted(response.answers):  # JSON key order differs by database
            if chosen.instruments is not None and instrument_id not in chosen.instruments:
                continue
            answers = response.answers[instrument_id]
            version = response.versions.get(instrument_id)
            key = (instrument_id, str(version))
            if key not in layout:
                try:
                    definition = get_definition(instrument_id, version)
                except UnknownInstrument as exc:
                    raise RecordsRefused(str(exc)) from None
                layout[key] = (definition, *_columns(definition))
            definition, form, columns = layout[key]
            record_id = chosen.record_ids[response.patient_id]
            record_key = (record_id, form)
            instances[record_key] = instances.get(record_key, 0) + 1
            row = {
                "record_id": record_id,
                "redcap_event_name": event,
                "redcap_repeat_instrument": form,
                "redcap_repeat_instance": str(instances[record_key]),
                f"{form}_complete": COMPLETE if complete.get(instrument_id, True) else INCOMPLETE,
            }
            for column, link_id, code in columns:
                row[column] = _cell(definition, link_id, code, answers.get(link_id))
            records.append(row)
    header = ["record_id"] + (["redcap_event_name"] if event else [])
    header += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    for _definition, form, columns in layout.values():
        header += [c for c, _, _ in columns if c not in header]
        header += [f"{form}_complete"] if f"{form}_complete" not in header else []
    _write(out, header, records)
    _audit(chosen, out)
    return len(records)


def _write(out: Path, header: list[str], records: list[dict[str, str]]) -> None:
    """Write atomically: a half-written file must never be loaded into REDCap."""
    folder = out.resolve().parent
    if not folder.is_dir():
        raise RecordsRefused(f"{out}: the folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".redcap-", suffix=".csv")
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    os.replace(temporary, out)


def _audit(chosen: Chosen, out: Path) -> None:
    counts: dict[int, int] = {}
    patients = {}
    for response in chosen.responses:
        counts[response.patient_id] = counts.get(response.patient_id, 0) + 1
        patients[response.patient_id] = response.patient
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                "redcap.records_exported",
                patient=patient,
                detail={
                    **chosen.audit,
                    "record_id": chosen.record_ids[pk],
                    "responses": counts[pk],
                    "file": out.name,
                },
            )
            for pk, patient in patients.items()
        ]
    )
