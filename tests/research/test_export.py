"""The de-identified export of the demo study: no identifiers, shifted dates, scopes, files."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from coproduce.audit.models import AuditEvent
from coproduce.people.models import Patient, User
from coproduce.research import deid
from coproduce.research.export import FILES
from coproduce.research.models import Study
from coproduce.research.participants import Participant, Withdrawal
from coproduce.visits.models import Appointment

ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")


def _read(folder: Path, name: str) -> list[dict]:
    with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _plant(study: Study) -> dict[str, str]:
    """Identifiers written into the free text of one participant, as people do."""
    p = (
        Participant.objects.filter(study=study, randomised_at__isnull=False)
        .exclude(withdrawals__isnull=False)
        .select_related("patient")
        .first()
    )
    patient = p.patient
    patient.phone = "+46 70 123 45 67"
    patient.save(update_fields=["phone"])
    # Someone the export leaves out (data use withdrawn) is named too: their names must go
    # from everyone's text, not only the exported participants' names.
    other = (
        Participant.objects.filter(study=study, withdrawals__scope="data")
        .exclude(pk=p.pk)
        .first()
        .patient
    )
    other.given_name = "Ingeborg"  # a name no exported participant has
    other.save(update_fields=["given_name"])
    text = (
        f"Call {patient.given_name} {patient.family_name} on {patient.phone} or "
        f"{patient.email}; born {patient.date_of_birth.isoformat()}, MRN 8812734, "
        f"registry {patient.registry_id}; lives at 12 Harbour Street. {other.given_name} "
        "came too. Nurse coordinator said fine."
    )
    response = patient.checkin_responses.order_by("-submitted_at").first()
    response.free_text = text
    response.save(update_fields=["free_text"])
    Appointment.objects.filter(patient=patient).update(reason=text)
    Withdrawal.objects.filter(participant__study=study).update(reason=text)
    return {"pid": deid.pseudonym(study.slug, patient.registry_id), "text": text}


def _identifiers(study: Study) -> list[re.Pattern]:
    words = set()
    for patient in Patient.objects.filter(study_participations__study=study):
        words |= {patient.given_name, patient.family_name, patient.registry_id}
        words |= {patient.email, patient.phone, patient.date_of_birth.isoformat()}
    for user in User.objects.exclude(role="patient"):
        words |= {user.first_name, user.last_name, user.username}
    words |= {"8812734", "Harbour Street", "+46 70 123 45 67"}
    return [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.I) for w in words if w]


def test_the_demo_export_holds_no_identifier_and_no_true_date(demo_rows, tmp_path):
    study = Study.objects.get(slug="empower")
    planted = _plant(study)
    out = tmp_path / "export"
    call_command(
        "research",
        "export",
        "empower",
        "--format",
        "csv",
        "--out",
        str(out),
        "--include-free-text",
    )
    patterns = _identifiers(study)
    tables = {name: _read(out, name) for name in FILES}
    for name, rows in tables.items():
        for row in rows:
            for column, cell in row.items():
                for pattern in patterns:
                    assert not pattern.search(cell), (name, column, cell)
    # The planted text left scrubbed and flagged.
    mine = [r for r in tables["assessments"] if r["participant_id"] == planted["pid"]]
    flagged = [r for r in mine if r["free_text_scrubbed"] == "true"]
    assert len(flagged) == 1
    assert "[NAME]" in flagged[0]["free_text"] and "[EMAIL]" in flagged[0]["free_text"]
    assert "[NUMBER]" in flagged[0]["free_text"] and "[ADDRESS]" in flagged[0]["free_text"]

    # Dates: enrolment moved by the participant's own non-zero offset, and every other date
    # of that participant lies exactly its study day after the shifted enrolment.
    by_pid = {}
    for p in Participant.objects.filter(study=study, consented_at__isnull=False):
        by_pid[deid.pseudonym(study.slug, p.patient.registry_id)] = p
    enrolled = {}
    for row in tables["participants"]:
        p = by_pid[row["participant_id"]]
        true = p.consented_at.astimezone(p.site.zone).date()
        offset = deid.date_offset(study.slug, p.patient.registry_id)
        assert offset != 0
        assert dt.date.fromisoformat(row["enrolled_on"]) == true + dt.timedelta(days=offset)
        assert row["age_at_enrolment"] and int(row["age_at_enrolment"]) <= 90
        enrolled[row["participant_id"]] = dt.date.fromisoformat(row["enrolled_on"])
    pairs = {
        "participants": [
            ("randomised_on", "randomised_day"),
            ("withdrawn_on", "withdrawn_day"),
            ("completed_on", "completed_day"),
        ],
        "assessments": [("assessed_on", "study_day")],
        "scores": [("assessed_on", "study_day")],
        "medications": [("started_on", "started_day"), ("stopped_on", "stopped_day")],
        "visits": [("visit_on", "study_day")],
    }
    checked = 0
    for name, columns in pairs.items():
        for row in tables[name]:
            for date_column, day_column in columns:
                if row[date_column]:
                    shifted = dt.date.fromisoformat(row[date_column])
                    base = enrolled[row["participant_id"]]
                    assert (shifted - base).days == int(row[day_column]), (name, row)
                    checked += 1
            for column, cell in row.items():
                if column not in {c for pair in columns for c in pair} | {"enrolled_on"}:
                    assert not ISO_DATE.search(cell), (name, column, cell)
    assert checked > 500

    # Withdrawal scopes: data use withdrawn -> absent; follow-up stopped -> nothing after.
    pids = {r["participant_id"] for r in tables["participants"]}
    scopes = {}
    for w in Withdrawal.objects.filter(participant__study=study).select_related(
        "participant__patient"
    ):
        scopes[deid.pseudonym(study.slug, w.participant.patient.registry_id)] = w.scope
    data_gone = [pid for pid, scope in scopes.items() if scope == "data"]
    assert len(data_gone) >= 3
    for name, rows in tables.items():
        assert not {r["participant_id"] for r in rows} & set(data_gone), name
    stopped = {
        r["participant_id"]: int(r["withdrawn_day"])
        for r in tables["participants"]
        if r["withdrawal_scope"] == "follow_up"
    }
    kept = [pid for pid, scope in scopes.items() if scope == "intervention"]
    assert len(stopped) >= 3 and set(kept) <= pids and len(kept) >= 3
    for name in ("assessments", "scores", "visits"):
        for row in tables[name]:
            if row["participant_id"] in stopped:
                assert int(row["study_day"]) <= stopped[row["participant_id"]], (name, row)

    # Every column is in the dictionary, and the dictionary lists no column that is not there.
    with (out / "data_dictionary.csv").open(encoding="utf-8") as handle:
        dictionary = list(csv.DictReader(handle))
    assert all(d["label"] and d["type"] and d["source"] for d in dictionary)
    described = {(d["file"], d["column"]) for d in dictionary}
    present = set()
    for name in FILES:
        with (out / f"{name}.csv").open(encoding="utf-8") as handle:
            present |= {(name, c) for c in next(csv.reader(handle))}
    assert present == described

    # The manifest: row counts and checksums of what is on disk.
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (out / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["rows"] == max(0, data.decode().count("\n") - 1)
    assert manifest["parameters"]["include_free_text"] is True
    event = AuditEvent.objects.get(event="research.exported")
    assert event.detail["operator"] == getpass.getuser()
    assert event.detail["files"]["participants.csv"] == len(tables["participants"])

    # A later export gives the same IDs and dates; without the flag no free text at all.
    again = tmp_path / "again"
    call_command("research", "export", "empower", "--format", "csv", "--out", str(again))
    assert {r["participant_id"] for r in _read(again, "participants")} == pids
    later = {r["participant_id"]: r["enrolled_on"] for r in _read(again, "participants")}
    assert later == {pid: d.isoformat() for pid, d in enrolled.items()}
    for name in FILES:
        text = (again / f"{name}.csv").read_text()
        assert "free_text" not in text and "reason" not in text.splitlines()[0]


def test_the_parquet_export_is_typed_and_reads_in_pandas(demo_rows, tmp_path):
    import pandas as pd
    import pyarrow.parquet as pq

    out = tmp_path / "p"
    call_command("research", "export", "empower", "--format", "parquet", "--out", str(out))
    schema = pq.read_schema(out / "participants.parquet")
    assert str(schema.field("enrolled_on").type) == "date32[day]"
    assert str(schema.field("age_at_enrolment").type) == "int64"
    assert str(pq.read_schema(out / "medications.parquet").field("daily_mme").type) == "double"
    frame = pd.read_parquet(out / "scores.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert len(frame) == rows["scores.parquet"] > 0
    assert isinstance(frame["assessed_on"].iloc[0], dt.date)
    import duckdb

    count = duckdb.read_parquet(str(out / "scores.parquet")).count("*").fetchall()[0][0]
    assert count == rows["scores.parquet"]


def test_it_refuses_a_directory_that_is_not_empty(db, tmp_path, world):
    from django.core.management.base import CommandError

    from tests.research.conftest import make_study

    make_study(world.team_a.site, slug="tiny")
    (tmp_path / "x").write_text("old")
    with pytest.raises(CommandError, match="not empty"):
        call_command("research", "export", "tiny", "--format", "csv", "--out", str(tmp_path))
