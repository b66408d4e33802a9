"""Appointments from the clinic's own scheduling system: one import service for CSV and FHIR.

`import_appointment` takes one appointment as the clinic's system describes it and creates,
updates or leaves alone the matching row (matched by the system's own id, unique per site),
then re-plans its pre-visit check-in (`checkins.previsit.sync`). Nothing is guessed: a row
that matches no patient, names an unknown clinician or is malformed is refused with a reason.
Importing the same data again changes nothing; an appointment missing from a later file is
left as it is (a file is not a full list); a cancelled one says so by its status.

The CSV side (`read_csv`) turns a file and a column map (TOML) into rows; each good row is
imported in its own savepoint, so the good rows are kept when others are refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.checkins import previsit
from coproduce.people.models import CareTeamMembership, Patient, Site, User
from coproduce.platform import clock
from coproduce.visits.models import Appointment, AppointmentStatus

MAX_MINUTES = 8 * 60
DEFAULT_MINUTES = 15
# The clinic's words for a status, lower-cased, and ours; a map file may add its own.
STATUS_WORDS = {
    "booked": AppointmentStatus.BOOKED,
    "scheduled": AppointmentStatus.BOOKED,
    "confirmed": AppointmentStatus.BOOKED,
    "pending": AppointmentStatus.BOOKED,
    "cancelled": AppointmentStatus.CANCELLED,
    "canceled": AppointmentStatus.CANCELLED,
    "attended": AppointmentStatus.ATTENDED,
    "fulfilled": AppointmentStatus.ATTENDED,
    "arrived": AppointmentStatus.ATTENDED,
    "checked-in": AppointmentStatus.ATTENDED,
    "missed": AppointmentStatus.MISSED,
    "noshow": AppointmentStatus.MISSED,
    "no-show": AppointmentStatus.MISSED,
}
COLUMNS = ("id", "patient", "start", "duration", "clinician", "type", "status")
REQUIRED_COLUMNS = ("id", "patient", "start")
PATIENT_KEYS = ("mrn", "registry_id")


class RowRefused(Exception):
    """One appointment that cannot be imported; the message says why, for the person fixing it."""


class MapInvalid(Exception):
    """A column map that cannot be used (the whole import stops before any row)."""


@dataclass(frozen=True)
class AppointmentIn:
    """One appointment as the clinic's system gives it (from a CSV row or a FHIR resource)."""

    external_id: str
    patient: str
    patient_key: str  # "mrn" or "registry_id"
    starts_at: dt.datetime
    minutes: int = DEFAULT_MINUTES
    clinician: str = ""
    kind: str = ""
    status: str = AppointmentStatus.BOOKED


def parse_status(raw: str, words: dict[str, str] | None = None) -> str:
    """Our status for the clinic's word `raw`; RowRefused if it is not known."""
    word = (raw or "").strip().lower()
    if not word:
        return AppointmentStatus.BOOKED
    known = {**STATUS_WORDS, **{k.lower(): v for k, v in (words or {}).items()}}
    if word not in known:
        raise RowRefused(_("unknown status %(status)r") % {"status": raw})
    return known[word]


def parse_start(raw: str, site: Site, fmt: str = "") -> dt.datetime:
    """A start time; in the site's time zone unless it carries an offset."""
    raw = (raw or "").strip()
    if not raw:
        raise RowRefused(_("no start time"))
    try:
        # Naive on purpose: a value without an offset is in the site's zone (below).
        value = dt.datetime.strptime(raw, fmt) if fmt else dt.datetime.fromisoformat(raw)  # noqa: DTZ007
    except ValueError:
        expected = fmt or "YYYY-MM-DD HH:MM"
        raise RowRefused(
            _("start time %(raw)r is not a date and time (%(expected)s)")
            % {"raw": raw, "expected": expected}
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=site.zone)
    return value


def parse_minutes(raw: str) -> int:
    raw = (raw or "").strip()
    if not raw:
        return DEFAULT_MINUTES
    try:
        minutes = int(raw)
    except ValueError:
        raise RowRefused(
            _("duration %(raw)r is not a whole number of minutes") % {"raw": raw}
        ) from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise RowRefused(
            _("duration %(raw)s is not between 1 and %(max)s minutes")
            % {"raw": raw, "max": MAX_MINUTES}
        )
    return minutes


def _patient(row: AppointmentIn, site: Site) -> Patient:
    rows = Patient.objects.filter(care_team__site=site).select_related("care_team__site")
    if row.patient_key == "mrn":
        found = rows.filter(mrn=row.patient).first() if row.patient else None
        label = _("MRN")
    else:
        found = rows.filter(registry_id=row.patient).first() if row.patient else None
        label = _("registry ID")
    if found is None:
        raise RowRefused(
            _("no patient with %(label)s %(value)r at %(site)s")
            % {"label": label, "value": row.patient, "site": site.name}
        )
    return found


def _clinician(name: str, site: Site) -> User | None:
    if not name:
        return None
    membership = (
        CareTeamMembership.objects.filter(care_team__site=site, user__is_active=True)
        .filter(user__username__iexact=name)
        .select_related("user")
        .first()
    ) or (
        CareTeamMembership.objects.filter(care_team__site=site, user__is_active=True)
        .filter(user__email__iexact=name)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise RowRefused(
            _("no clinician %(name)r in a care team at %(site)s")
            % {"name": name, "site": site.name}
        )
    return membership.user


def import_appointment(
    row: AppointmentIn, *, site: Site, actor: User | None, source: str
) -> tuple[Appointment, str]:
    """Create or update the appointment `row` describes; (appointment, "created" | "updated" |
    "unchanged"). Raises RowRefused; the caller owns the transaction (one savepoint a row)."""
    if not row.external_id.strip():
        raise RowRefused(_("no appointment id"))
    patient = _patient(row, site)
    clinician = _clinician(row.clinician, site)
    wanted: dict[str, Any] = {
        "patient": patient,
        "care_team": patient.care_team,
        "starts_at": row.starts_at,
        "minutes": row.minutes,
        "clinician": clinician,
        "kind": row.kind[:64],
        "status": row.status,
    }
    appointment = (
        Appointment.objects.select_for_update()
        .filter(external_site=site, external_id=row.external_id)
        .first()
    )
    if appointment is None:
        # One booked by hand before the clinic's system was connected is taken over, not doubled.
        appointment = Appointment.objects.filter(
            patient=patient, starts_at=row.starts_at, external_id=""
        ).first()
    verb = "created" if appointment is None else "updated"
    if appointment is None:
        appointment = Appointment(external_site=site, external_id=row.external_id)
    else:
        same = appointment.external_id == row.external_id and all(
            getattr(appointment, k) == v for k, v in wanted.items()
        )
        if same:
            return appointment, "unchanged"
    before = {
        "starts_at": appointment.starts_at.isoformat() if appointment.starts_at else None,
        "status": appointment.status if appointment.pk else None,
    }
    for name, value in wanted.items():
        setattr(appointment, name, value)
    appointment.external_site = site
    appointment.external_id = row.external_id
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError:
        raise RowRefused(
            _("%(who)s already has another appointment starting at %(when)s")
            % {"who": patient.registry_id, "when": row.starts_at.isoformat()}
        ) from None
    planned = previsit.sync(appointment, now=clock.now())
    record(
        f"appointment.{verb}",
        actor=actor,
        patient=patient,
        obj=appointment,
        detail={
            "source": source,
            "external_id": row.external_id,
            "before": before,
            "starts_at": row.starts_at.isoformat(),
            "status": row.status,
            "previsit": planned or "unchanged",
        },
    )
    return appointment, verb


# The CSV side -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, str]
    patient_key: str = "mrn"
    start_format: str = ""
    statuses: dict[str, str] = field(default_factory=dict)


def read_map(text: str) -> ColumnMap:
    """The column map of a TOML file (see docs/appointments.md); MapInvalid says what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MapInvalid(_("the map is not valid TOML (%(error)s)") % {"error": exc}) from None
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise MapInvalid(_("the map has no [columns] table"))
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise MapInvalid(
            _("unknown columns in the map: %(names)s (known: %(known)s)")
            % {"names": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    missing = [c for c in REQUIRED_COLUMNS if not columns.get(c)]
    if missing:
        raise MapInvalid(
            _("the map does not name the column for: %(names)s") % {"names": ", ".join(missing)}
        )
    key = data.get("patient_id", "mrn")
    if key not in PATIENT_KEYS:
        raise MapInvalid(_('patient_id must be "mrn" or "registry_id", not %(key)r') % {"key": key})
    statuses = data.get("status", {})
    bad = {k: v for k, v in statuses.items() if v not in AppointmentStatus.values}
    if bad:
        raise MapInvalid(
            _("[status] maps to unknown statuses: %(bad)s (ours: %(ours)s)")
            % {
                "bad": ", ".join(f"{k} = {v}" for k, v in bad.items()),
                "ours": ", ".join(AppointmentStatus.values),
            }
        )
    return ColumnMap(
        columns={k: str(v) for k, v in columns.items()},
        patient_key=key,
        start_format=str(data.get("start_format", "")),
        statuses={str(k): str(v) for k, v in statuses.items()},
    )


def read_csv(
    text: str, mapping: ColumnMap, site: Site
) -> Iterable[tuple[int, AppointmentIn | str]]:
    """(line number, row or the reason it is refused) for every data line of the CSV."""
    reader = csv.DictReader(io.StringIO(text))
    absent = [v for v in mapping.columns.values() if v not in (reader.fieldnames or [])]
    if absent:
        raise MapInvalid(
            _("the file has no column %(names)s (its columns: %(have)s)")
            % {
                "names": ", ".join(repr(a) for a in absent),
                "have": ", ".join(reader.fieldnames or []),
            }
        )
    col = mapping.columns
    for record_ in reader:
        line = reader.line_num
        if None in record_:
            yield line, _("more fields than the header has")
            continue

        def get(name: str, r: dict = record_) -> str:
            return (r.get(col[name]) or "").strip() if name in col else ""

        try:
            yield (
                line,
                AppointmentIn(
                    external_id=get("id"),
                    patient=get("patient"),
                    patient_key=mapping.patient_key,
                    starts_at=parse_start(get("start"), site, mapping.start_format),
                    minutes=parse_minutes(get("duration")),
                    clinician=get("clinician"),
                    kind=get("type"),
                    status=parse_status(get("status"), mapping.statuses),
                ),
            )
        except RowRefused as exc:
            yield line, str(exc)


@dataclass
class Report:
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    refused: list[tuple[int, str]] = field(default_factory=list)


def import_csv(text: str, mapping: ColumnMap, *, site: Site, actor: User | None = None) -> Report:
    """Import every good row of a CSV, each in its own savepoint; refused rows are reported."""
    report = Report()
    seen: dict[str, int] = {}
    for line, row in read_csv(text, mapping, site):
        if isinstance(row, str):
            report.refused.append((line, row))
            continue
        if row.external_id in seen:
            report.refused.append(
                (
                    line,
                    _("appointment id %(id)r is also on line %(line)s")
                    % {"id": row.external_id, "line": seen[row.external_id]},
                )
            )
            continue
        seen[row.external_id] = line
        try:
            with transaction.atomic():
                _appointment, verb = import_appointment(row, site=site, actor=actor, source="csv")
        except RowRefused as exc:
            report.refused.append((line, str(exc)))
            continue
        report.counts[verb] += 1
    return report
