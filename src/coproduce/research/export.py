"""De-identified study exports: six data files, a data dictionary and a manifest.

One function, `write_export`, serves the operator's command (`coproduce research export`)
and the researcher's approved request (exports.py). What leaves follows HIPAA Safe Harbor
(45 CFR 164.514(b)(2)); see docs/research.md for every column and the reasoning:

* participants are pseudonymous IDs (deid.pseudonym), sites are codes (S1, S2, ...);
* every calendar date of a participant is moved by that participant's own offset
  (deid.date_offset), and each row also carries the days since enrolment (the consent date);
* ages are in whole years at enrolment, over 89 top-coded to 90; no birth dates or years;
* no names, contact details, registry IDs, record numbers, links or times of day;
* free text only when asked for, scrubbed (deid.scrub) and flagged;
* withdrawn participants as their withdrawal says: "withdraw data use" leaves them out,
  "stop follow-up" drops everything dated after the withdrawal, "stop intervention" keeps all.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from coproduce.careplans.medications import mme_of
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import User
from coproduce.research import deid
from coproduce.research.models import Study
from coproduce.research.outcomes import (
    DEFINITIONS,
    TAPERING_SUCCESS,
    State,
    follow_up_end,
    participant_outcome,
    withdrew_data,
)
from coproduce.research.participants import IN_STUDY, Participant
from coproduce.visits.models import Appointment

FORMATS = ("csv", "parquet")
FILES = ("participants", "assessments", "scores", "outcomes", "medications", "visits")
#: Registry data from this many days before enrolment is exported (the baseline window).
BEFORE_ENROLMENT_DAYS = 30


class ExportRefused(ValueError):
    """The export cannot be written; the message says why (nothing is written)."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, number, boolean, date
    label: Any
    unit: str = ""
    allowed: str = ""
    source: str = ""
    free_text: bool = False


PID = Column("participant_id", "string", _("Pseudonymous participant ID (keyed hash, per study)"))
SHIFTED = "shifted by the participant's date offset"
DAY = "days since enrolment (consent date = 0)"
ARM_SOURCE = "research.Allocation"
SCRUBBED = "names, numbers, addresses and e-mails replaced by [TAGS]"

COLUMNS: dict[str, list[Column]] = {
    "participants": [
        PID,
        Column("site", "string", _("Site code"), allowed="S1, S2, ... (per study)"),
        Column("arm", "string", _("Allocated arm code"), source=ARM_SOURCE),
        Column(
            "status",
            "string",
            _("Study status"),
            allowed="consented, randomised, active, completed, withdrawn",
        ),
        Column(
            "age_at_enrolment",
            "integer",
            _("Age at enrolment"),
            unit="years",
            allowed="whole years; 90 means 90 or older",
        ),
        Column("conditions", "integer", _("Number of long-term conditions"), unit="count"),
        Column("enrolled_on", "date", _("Enrolment (consent) date"), unit=SHIFTED),
        Column("randomised_on", "date", _("Randomisation date"), unit=SHIFTED),
        Column("randomised_day", "integer", _("Randomisation day"), unit=DAY),
        Column("completed_on", "date", _("Completion date"), unit=SHIFTED),
        Column("completed_day", "integer", _("Completion day"), unit=DAY),
        Column(
            "withdrawal_scope", "string", _("Widest withdrawal"), allowed="intervention, follow_up"
        ),
        Column("withdrawn_on", "date", _("First withdrawal date"), unit=SHIFTED),
        Column("withdrawn_day", "integer", _("First withdrawal day"), unit=DAY),
        Column("baseline_mme", "number", _("Daily MME at screening"), unit="mg MME/day"),
        Column(
            "withdrawal_reason", "string", _("Withdrawal reason"), unit=SCRUBBED, free_text=True
        ),
        Column("withdrawal_reason_scrubbed", "boolean", _("Something was removed from the reason")),
    ],
    "assessments": [
        PID,
        Column("assessment_id", "string", _("Assessment ID (participant ID + sequence)")),
        Column("assessed_on", "date", _("Date answered"), unit=SHIFTED),
        Column("study_day", "integer", _("Day answered"), unit=DAY),
        Column("instruments", "string", _("Instruments answered"), allowed="space-separated ids"),
        Column("source", "string", _("How it was answered"), allowed="web, api, cli, import, demo"),
        Column("free_text", "string", _("Free-text comment"), unit=SCRUBBED, free_text=True),
        Column("free_text_scrubbed", "boolean", _("Something was removed from the comment")),
    ],
    "scores": [
        PID,
        Column("assessment_id", "string", _("Assessment ID (see assessments)")),
        Column("instrument_id", "string", _("Instrument"), source="instruments library"),
        Column(
            "instrument_version", "string", _("Instrument version"), source="instruments library"
        ),
        Column("score", "number", _("Score"), unit="instrument's scale"),
        Column("band", "string", _("Severity band"), source="the instrument version's bands"),
        Column("complete", "boolean", _("All items needed for the score were answered")),
        Column("assessed_on", "date", _("Date answered"), unit=SHIFTED),
        Column("study_day", "integer", _("Day answered"), unit=DAY),
        Column("items", "string", _("Numeric item values"), unit="JSON object {linkId: value}"),
    ],
    "outcomes": [
        PID,
        Column("outcome", "string", _("Outcome"), allowed=", ".join(DEFINITIONS)),
        Column("state", "string", _("Outcome state"), allowed="success, failure, missing, not_due"),
        Column("success", "boolean", _("Outcome met (blank: missing or not yet due)")),
        Column(
            "branch",
            "string",
            _("Which definition branch was met"),
            allowed="mme_halved_pain_stable, pain_improved_no_mme_increase, both",
            source="careplans/outcomes.py",
        ),
        Column("baseline_mme", "number", _("Daily MME at randomisation"), unit="mg MME/day"),
        Column(
            "baseline_pain",
            "number",
            _("Pain at baseline"),
            unit="0-10",
            source="pain-nrs or PEG 1",
        ),
        Column("month12_mme", "number", _("Daily MME at 12 months"), unit="mg MME/day"),
        Column("month12_mme_day", "integer", _("Day of the 12-month MME"), unit=DAY),
        Column(
            "month12_pain",
            "number",
            _("Pain at 12 months"),
            unit="0-10",
            source="pain-nrs or PEG 1",
        ),
        Column("month12_pain_day", "integer", _("Day of the 12-month pain"), unit=DAY),
    ],
    "medications": [
        PID,
        Column("drug", "string", _("Drug"), source="careplans factor table"),
        Column("is_opioid", "boolean", _("Opioid")),
        Column("strength", "number", _("Strength"), unit="see strength_unit"),
        Column("strength_unit", "string", _("Strength unit"), allowed="mg, mcg/hr"),
        Column("per_day", "number", _("Doses per day"), unit="doses/day"),
        Column("daily_mme", "number", _("Daily morphine milligram equivalents"), unit="mg MME/day"),
        Column(
            "factor_table", "string", _("MME conversion table"), source="careplans/factor_tables"
        ),
        Column("started_on", "date", _("Start date"), unit=SHIFTED),
        Column("started_day", "integer", _("Start day"), unit=DAY),
        Column("stopped_on", "date", _("Stop date (blank: still taken)"), unit=SHIFTED),
        Column("stopped_day", "integer", _("Stop day"), unit=DAY),
    ],
    "visits": [
        PID,
        Column("visit_on", "date", _("Visit date"), unit=SHIFTED),
        Column("study_day", "integer", _("Visit day"), unit=DAY),
        Column("minutes", "integer", _("Planned length"), unit="minutes"),
        Column("status", "string", _("Visit status"), source="visits.Appointment"),
        Column("reason", "string", _("Reason for the visit"), unit=SCRUBBED, free_text=True),
        Column("reason_scrubbed", "boolean", _("Something was removed from the reason")),
    ],
}
FREE_TEXT_FLAGS = {
    "withdrawal_reason_scrubbed",
    "free_text_scrubbed",
    "reason_scrubbed",
}


def columns_of(name: str, *, include_free_text: bool) -> list[Column]:
    return [
        c
        for c in COLUMNS[name]
        if include_free_text or not (c.free_text or c.name in FREE_TEXT_FLAGS)
    ]


@dataclass
class Subject:
    """One exported participant with what de-identifies them."""

    participant: Participant
    pid: str
    offset: int
    enrolled: dt.date
    cutoff: dt.date | None  # no data dated after this day (stopped follow-up)
    zone: Any
    names: list[str] = field(default_factory=list)

    def local(self, at: dt.datetime | None) -> dt.date | None:
        return None if at is None else at.astimezone(self.zone).date()

    def on(self, day: dt.date | None) -> dt.date | None:
        return deid.shift(day, self.offset)

    def day(self, day: dt.date | None) -> int | None:
        return None if day is None else (day - self.enrolled).days

    def keeps(self, day: dt.date | None) -> bool:
        return day is not None and (self.cutoff is None or day <= self.cutoff)


def subjects(study: Study) -> list[Subject]:
    """The participants an export holds: joined the study, data use not withdrawn."""
    rows = (
        Participant.objects.filter(study=study, status__in=IN_STUDY, consented_at__isnull=False)
        .select_related("patient__care_team__site", "site", "allocation__arm")
        .prefetch_related("withdrawals")
        .order_by("pk")
    )
    staff = _staff_names()
    # Free text may name any of the study's people, also one left out of the export (data
    # withdrawn, declined, not yet consented): every one's names are scrubbed from all text.
    everyone = [
        name
        for names in Participant.objects.filter(study=study).values_list(
            "patient__given_name", "patient__family_name", "patient__registry_id"
        )
        for name in names
    ]
    out = []
    for p in rows:
        if withdrew_data(p):
            continue
        zone = p.site.zone
        ended = follow_up_end(p)
        registry_id = p.patient.registry_id
        out.append(
            Subject(
                participant=p,
                pid=deid.pseudonym(study.slug, registry_id),
                offset=deid.date_offset(study.slug, registry_id),
                enrolled=(p.consented_at or p.screened_at).astimezone(zone).date(),
                cutoff=ended.astimezone(zone).date() if ended else None,
                zone=zone,
                names=[p.patient.given_name, p.patient.family_name, registry_id, *staff],
            )
        )
    for s in out:
        s.names = sorted(set(s.names) | set(everyone))
    return out


def _staff_names() -> list[str]:
    names: list[str] = []
    for first, last, username in User.objects.exclude(role="patient").values_list(
        "first_name", "last_name", "username"
    ):
        names += [first, last, username]
    return [n for n in names if n]


def _free(text: str, subject: Subject) -> tuple[str | None, bool | None]:
    if not text.strip():
        return None, False
    return deid.scrub(text, subject.names)


def _participants(study: Study, people: list[Subject], free: bool) -> Iterable[dict]:
    site_codes = {s.pk: f"S{n}" for n, s in enumerate(study.sites.order_by("pk"), start=1)}
    for s in people:
        p = s.participant
        withdrawals = sorted(p.withdrawals.all(), key=lambda w: w.at)
        scopes = [w.scope for w in withdrawals]
        widest = "follow_up" if "follow_up" in scopes else ("intervention" if scopes else None)
        randomised = s.local(p.randomised_at)
        completed = s.local(p.completed_at)
        withdrawn = s.local(withdrawals[0].at) if withdrawals else None
        conditions = p.patient.conditions.count()
        row = {
            "participant_id": s.pid,
            "site": site_codes.get(p.site_id, ""),
            "arm": p.allocation.arm.code if hasattr(p, "allocation") else None,
            "status": p.status,
            "age_at_enrolment": deid.top_coded_age(p.patient.date_of_birth, s.enrolled),
            "conditions": conditions,
            "enrolled_on": s.on(s.enrolled),
            "randomised_on": s.on(randomised),
            "randomised_day": s.day(randomised),
            "completed_on": s.on(completed) if s.keeps(completed) else None,
            "completed_day": s.day(completed) if s.keeps(completed) else None,
            "withdrawal_scope": widest,
            "withdrawn_on": s.on(withdrawn),
            "withdrawn_day": s.day(withdrawn),
            "baseline_mme": _num(p.baseline_mme),
        }
        if free:
            reason = " / ".join(w.reason for w in withdrawals if w.reason)
            row["withdrawal_reason"], row["withdrawal_reason_scrubbed"] = _free(reason, s)
        yield row


def _responses(s: Subject) -> list[tuple[str, CheckinResponse, dt.date]]:
    since = s.enrolled - dt.timedelta(days=BEFORE_ENROLMENT_DAYS)
    out: list[tuple[str, CheckinResponse, dt.date]] = []
    for response in CheckinResponse.objects.filter(patient=s.participant.patient).order_by(
        "submitted_at", "pk"
    ):
        day = s.local(response.submitted_at)
        if day is not None and day >= since and s.keeps(day):
            out.append((f"{s.pid}-A{len(out) + 1:04d}", response, day))
    return out


def _assessments(people, free, answered) -> Iterable[dict]:
    for s in people:
        for aid, response, day in answered[s.pid]:
            row = {
                "participant_id": s.pid,
                "assessment_id": aid,
                "assessed_on": s.on(day),
                "study_day": s.day(day),
                "instruments": " ".join(sorted(response.versions)),
                "source": response.source,
            }
            if free:
                row["free_text"], row["free_text_scrubbed"] = _free(response.free_text, s)
            yield row


def _scores(people, answered) -> Iterable[dict]:
    for s in people:
        ids = {response.pk: (aid, day) for aid, response, day in answered[s.pid]}
        for score in Score.objects.filter(response_id__in=ids).order_by("at", "pk"):
            aid, day = ids[score.response_id]
            items = {
                k: v
                for k, v in sorted((score.item_values or {}).items())
                if isinstance(v, int | float) and not isinstance(v, bool)
            }
            yield {
                "participant_id": s.pid,
                "assessment_id": aid,
                "instrument_id": score.instrument_id,
                "instrument_version": score.version,
                "score": score.score,
                "band": score.band or None,
                "complete": score.complete,
                "assessed_on": s.on(day),
                "study_day": s.day(day),
                "items": json.dumps(items, sort_keys=True),
            }


def _outcomes(study: Study, people, today: dt.date) -> Iterable[dict]:
    if TAPERING_SUCCESS not in study.outcomes:
        return
    for s in people:
        outcome = participant_outcome(s.participant, today=today)
        if outcome is None:
            continue
        r = outcome.result
        yield {
            "participant_id": s.pid,
            "outcome": TAPERING_SUCCESS,
            "state": outcome.state,
            "success": None if outcome.state in (State.MISSING, State.NOT_DUE) else r.success,
            "branch": str(r.branch) if r.branch else None,
            "baseline_mme": _num(r.baseline_mme),
            "baseline_pain": _num(r.baseline_pain),
            "month12_mme": _num(r.month12_mme),
            "month12_mme_day": s.day(r.month12_mme_on),
            "month12_pain": _num(r.month12_pain),
            "month12_pain_day": s.day(r.month12_pain_on),
        }


def _medications(people) -> Iterable[dict]:
    for s in people:
        for m in s.participant.patient.medications.order_by("started_on", "pk"):
            if not s.keeps(m.started_on):
                continue
            stopped = m.stopped_on if s.keeps(m.stopped_on) else None
            yield {
                "participant_id": s.pid,
                "drug": m.drug,
                "is_opioid": m.is_opioid,
                "strength": _num(m.strength),
                "strength_unit": m.unit,
                "per_day": _num(m.per_day),
                "daily_mme": _num(mme_of([m]).total_mme) if m.is_opioid else None,
                "factor_table": m.factor_table,
                "started_on": s.on(m.started_on),
                "started_day": s.day(m.started_on),
                "stopped_on": s.on(stopped),
                "stopped_day": s.day(stopped),
            }


def _visits(people, free) -> Iterable[dict]:
    for s in people:
        for a in Appointment.objects.filter(patient=s.participant.patient).order_by("starts_at"):
            day = s.local(a.starts_at)
            if not s.keeps(day):
                continue
            row = {
                "participant_id": s.pid,
                "visit_on": s.on(day),
                "study_day": s.day(day),
                "minutes": a.minutes,
                "status": a.status,
            }
            if free:
                row["reason"], row["reason_scrubbed"] = _free(a.reason, s)
            yield row


def _num(value) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Written:
    out: Path
    manifest: dict
    registry_ids: list[str]


def write_export(
    study: Study,
    *,
    fmt: str,
    out: Path,
    include_free_text: bool = False,
    today: dt.date,
) -> Written:
    """Write the study's de-identified files into `out` (created; must be empty)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if out.exists() and any(out.iterdir()):
        raise ExportRefused(f"{out} is not empty: choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    people = subjects(study)
    answered = {s.pid: _responses(s) for s in people}
    tables = {
        "participants": _participants(study, people, include_free_text),
        "assessments": _assessments(people, include_free_text, answered),
        "scores": _scores(people, answered),
        "outcomes": _outcomes(study, people, today),
        "medications": _medications(people),
        "visits": _visits(people, include_free_text),
    }
    files = []
    for name in FILES:
        columns = columns_of(name, include_free_text=include_free_text)
        rows = list(tables[name])
        path = out / f"{name}.{fmt}"
        (_write_csv if fmt == "csv" else _write_parquet)(path, columns, rows)
        files.append(_file_entry(path, len(rows)))
    dictionary = out / "data_dictionary.csv"
    count = _write_dictionary(dictionary, include_free_text=include_free_text, study=study)
    files.append(_file_entry(dictionary, count))
    manifest = {
        "study": study.slug,
        "protocol_version": study.protocol_version,
        "coproduce_version": metadata.version("coproduce"),
        "parameters": {
            "format": fmt,
            "include_free_text": include_free_text,
            # Outcome states (missing / not yet due) depend on the day they were computed.
            "as_of": today.isoformat(),
        },
        "pseudonym_key_id": hashlib.sha256(settings.COPRODUCE_PSEUDONYM_KEY.encode()).hexdigest()[
            :12
        ],
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Written(out, manifest, sorted(s.participant.patient.registry_id for s in people))


def _file_entry(path: Path, rows: int) -> dict:
    data = path.read_bytes()
    return {
        "name": path.name,
        "rows": rows,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write_csv(path: Path, columns: list[Column], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([_cell(row.get(c.name)) for c in columns])


def arrow_schema(columns: list[Column]):
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    return pa.schema(
        [pa.field(c.name, types[c.type], nullable=c.name != "participant_id") for c in columns]
    )


def _write_parquet(path: Path, columns: list[Column], rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(columns)
    data = {c.name: [row.get(c.name) for row in rows] for c in columns}
    pq.write_table(pa.Table.from_pydict(data, schema=schema), path)


DICTIONARY_HEADER = ["file", "column", "label", "type", "unit", "allowed_values", "source"]


def dictionary_rows(*, include_free_text: bool, study: Study | None = None) -> list[list[str]]:
    """Every column of every file: label, type, unit, allowed values, source and version."""
    versions = ""
    if study is not None:
        found = (
            Score.objects.filter(patient__study_participations__study=study)
            .values_list("instrument_id", "version")
            .distinct()
            .order_by("instrument_id", "version")
        )
        versions = "; ".join(f"{i} {v}" for i, v in found)
    rows = []
    for name in FILES:
        for c in columns_of(name, include_free_text=include_free_text):
            source = c.source or f"coproduce registry ({name})"
            if name == "scores" and c.name in ("score", "band", "items") and versions:
                source = f"instrument_id + instrument_version of the row: {versions}"
            rows.append([f"{name}", c.name, str(c.label), c.type, c.unit, c.allowed, source])
    return rows


def _write_dictionary(path: Path, *, include_free_text: bool, study: Study) -> int:
    rows = dictionary_rows(include_free_text=include_free_text, study=study)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DICTIONARY_HEADER)
        writer.writerows(rows)
    return len(rows)
