"""The shared coproduction dashboard: what patient, family and clinician look at together.

A fixed number of queries whatever the amount of history: all scores of the patient come in
one values-only query and are downsampled in Python (weekly medians for two years, monthly
medians before); item-level answers are read only for the latest score of each instrument.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.people.models import Patient
from coproduce.platform import charts, clock
from coproduce.platform.models import Priority
from coproduce.safetynet.engine import instruments_behind
from coproduce.safetynet.models import Alert, AlertStatus
from coproduce.visits import clinical, collaborate
from coproduce.visits.models import (
    Appointment,
    AppointmentStatus,
    RecordStatus,
    VisitRecord,
    VisitRequest,
    VisitRequestStatus,
)
from coproduce.visits.services import careplans_summary

PREVISIT = "previsit"
# linkIds of the shipped pre-visit block (instruments/library/previsit-1.0.json).
CONCERN_IDS = ("previsit-concern",)
TOPICS_IDS = ("previsit-topics",)
PARTNER_IDS = ("previsit-partner",)
PARTNER_NOTE_IDS = ("previsit-partner-note",)
NO_CONCERN = "no-concern"
RECORDS_SHOWN = 5
# What the one-page print summary holds (A4 and Letter); the rest is counted ("and 3 more")
# and long texts are clipped with a pointer to the screen, so it fits whatever the data.
PRINT_CAPS = {"scores": 6, "charts": 3, "medicines": 6, "goals": 2, "topics": 4}
PRINT_CHARS = {"concern": 160, "note": 70, "goal": 50, "actions": 90}
VISIT_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED)


@dataclass
class ItemAnswer:
    text: str
    answer: str
    level: int | None  # 0..3, None for items without an order (text answers)
    link_id: str = ""

    @property
    def words(self) -> str:
        return gettext(clinical.SEVERITY_WORDS[self.level]) if self.level is not None else ""


@dataclass
class Trend:
    info: clinical.InstrumentInfo
    points: list[charts.Point]
    svg: str
    table: str
    latest_value: float
    latest_at: dt.date
    band: clinical.BandRange | None
    band_text: str
    change: clinical.ChangeInfo | None = None
    change_from: float | None = None
    answered_since_visit: bool = True
    items: list[ItemAnswer] = field(default_factory=list)
    answered_in: str = ""  # the language code the latest answers were given in

    @property
    def summarised(self) -> bool:
        return any(p.n > 1 for p in self.points)


def _text_of(value: Any, options: dict[str, str]) -> str:
    """An answer as words: an option's display, or what the person wrote."""
    if isinstance(value, dict):
        value = value.get("display") or value.get("valueString") or value.get("code") or ""
    value = str(value).strip()
    return options.get(value, value)


def _first(answers: dict, ids: tuple[str, ...], needle: str) -> Any:
    for link_id in ids:
        if link_id in answers:
            return answers[link_id]
    # A later version of the block may rename items: fall back to the word in the linkId.
    return next((v for k, v in answers.items() if needle in k and "note" not in k), None)


def _options(instrument_id: str, version: str | None) -> dict[str, dict[str, str]]:
    """{linkId: {code: display}} for an instrument, or {} if the library does not know it."""
    try:
        from coproduce.instruments.library import get_definition

        definition = get_definition(instrument_id, version)
    except (ImportError, LookupError):
        return {}
    return {i.link_id: {o.code: o.display for o in i.options} for i in definition.items}


def previsit_answers(answers: dict, version: str | None) -> dict[str, Any]:
    """The number ONE concern, topics and partnering preference, in the person's words."""
    options = _options(PREVISIT, version)
    concern_raw = _first(answers, CONCERN_IDS, "concern")
    partner_raw = _first(answers, PARTNER_IDS, "partner")
    note_raw = next((answers[k] for k in PARTNER_NOTE_IDS if k in answers), None)
    topics_raw = _first(answers, TOPICS_IDS, "topic") or []
    if not isinstance(topics_raw, list):
        topics_raw = [topics_raw]
    concern_opts = options.get(CONCERN_IDS[0], {})
    return {
        "no_concern": concern_raw == NO_CONCERN,
        "concern": _text_of(concern_raw, concern_opts) if concern_raw else "",
        "topics": [_text_of(t, options.get(TOPICS_IDS[0], {})) for t in topics_raw if t],
        "partner": _text_of(partner_raw, options.get(PARTNER_IDS[0], {})) if partner_raw else "",
        "partner_note": _text_of(note_raw, {}) if note_raw else "",
    }


def answers_in_words(
    instrument_id: str, version: str, item_values: dict, answers: dict
) -> list[ItemAnswer]:
    """Answers item by item, each in words (the instrument's answer option) with a level."""
    try:
        from coproduce.instruments.library import get_definition

        definition = get_definition(instrument_id, version or None)
    except (ImportError, LookupError):
        return [
            ItemAnswer(link_id, _text_of(v, {}), None, link_id)
            for link_id, v in sorted(answers.items())
        ]
    out = []
    for item in definition.items:
        if not item.answerable or (item.link_id not in answers and item.link_id not in item_values):
            continue
        raw = answers.get(item.link_id, item_values.get(item.link_id))
        option = item.by_code.get(str(raw)) if item.options else None
        weight = item_values.get(item.link_id, option.weight if option else None)
        if option is None and isinstance(raw, int | float) and item.options:
            option = next(iter(item.by_weight.get(raw, [])), None)
        answer = option.display if option else _text_of(raw, {})
        top = max((o.weight for o in item.options if o.weight is not None), default=None)
        top = top if top is not None else item.max_value
        level = None
        if isinstance(weight, int | float) and top:
            share = weight / top
            level = 0 if share == 0 else 1 if share < 0.34 else 2 if share < 0.67 else 3
        if option is None and item.max_value is not None and answer:
            answer = f"{answer} out of {item.max_value:g}"
        out.append(ItemAnswer(item.text, answer, level, item.link_id))
    return out


def alert_summary(open_alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard's open alerts by priority (most urgent first) and their total."""
    counts = Counter(a["priority"] for a in open_alerts)
    return {
        "alerts": [
            {"priority": Priority(p).label, "count": counts[p], "urgent": p == Priority.URGENT}
            for p in sorted(counts)
        ],
        "alerts_total": len(open_alerts),
    }


def hide_from_proxy(context: dict[str, Any], hidden: frozenset[str], band_only: bool) -> None:
    """Take a teen's confidential instruments out of a parent's view (see
    people.access.hidden_from_proxy); with ``band_only`` their latest band stays. Nor does
    the parent learn that those answers raised an alert: only alerts whose rule read
    something else stay (the team has them all)."""
    if not hidden:
        return
    behind = instruments_behind(context["open_alerts"])
    context["open_alerts"] = [
        a for a in context["open_alerts"] if not behind[a["pk"]] or not behind[a["pk"]] <= hidden
    ]
    context.update(alert_summary(context["open_alerts"]))
    kept, bands = [], []
    for trend in context["trends"]:
        if trend.info.instrument_id not in hidden:
            kept.append(trend)
        elif band_only and trend.band_text:
            bands.append({"title": trend.info.title, "band": trend.band_text})
    context["trends"] = kept
    context["private_bands"] = bands
    context["private_from_parent"] = True


def print_summary(context: dict[str, Any]) -> dict[str, Any]:
    """How many of each list the one-page print leaves out, and the caps it applies."""
    careplan = context.get("careplan") or {}
    previsit = context.get("previsit") or {}

    def rest(items: Any, cap: int) -> int:
        return max(0, len(items or ()) - cap)

    plan = context.get("plan") or {}
    texts = [
        (previsit.get("concern"), PRINT_CHARS["concern"]),
        (previsit.get("partner_note"), PRINT_CHARS["note"]),
        (previsit.get("message"), PRINT_CHARS["note"]),
        *((g["text"], PRINT_CHARS["goal"]) for g in careplan.get("patient_goals") or ()),
        *((g["text"], PRINT_CHARS["goal"]) for g in careplan.get("clinical_targets") or ()),
        *((plan.get(k), PRINT_CHARS["actions"]) for k in ("patient_actions", "team_actions")),
        (plan.get("decision"), PRINT_CHARS["actions"]),
    ]
    return {
        "caps": PRINT_CAPS,
        "chars": PRINT_CHARS,
        "clipped": any(len(text or "") > limit for text, limit in texts),
        "more": {
            "scores": rest(context.get("trends"), PRINT_CAPS["scores"]),
            "charts": rest(context.get("trends"), PRINT_CAPS["charts"]),
            "medicines": rest(careplan.get("medications"), PRINT_CAPS["medicines"]),
            "patient_goals": rest(careplan.get("patient_goals"), PRINT_CAPS["goals"]),
            "clinical_targets": rest(careplan.get("clinical_targets"), PRINT_CAPS["goals"]),
            "topics": rest(previsit.get("topics"), PRINT_CAPS["topics"]),
        },
    }


def build(patient: Patient, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard page shows for `patient` (the caller audits the read)."""
    now = now or clock.now()
    zone = patient.care_team.site.zone
    today = clock.clinic_today(zone, now)

    def local_day(at: dt.datetime) -> dt.date:
        return clock.clinic_day(at, zone)

    appointments = list(
        Appointment.objects.filter(patient=patient, status__in=VISIT_STATUSES)
        .order_by("starts_at")
        .values_list("starts_at", "clinician__first_name", "clinician__last_name")
    )
    past = [a[0] for a in appointments if a[0] <= now]
    upcoming = [a for a in appointments if a[0] > now]
    last_visit = past[-1] if past else None
    visit_days = [local_day(at) for at in past]

    series: dict[str, list[tuple]] = {}
    for row in (
        Score.objects.filter(patient=patient, score__isnull=False)
        .exclude(instrument_id__in=collaborate.CONFIDENTIAL)
        .order_by("instrument_id", "at", "id")
        .values_list("id", "instrument_id", "version", "at", "score")
    ):
        series.setdefault(row[1], []).append(row)

    latest_ids = [rows[-1][0] for rows in series.values()]
    latest_rows = Score.objects.filter(id__in=latest_ids).values_list(
        "id", "instrument_id", "item_values", "response__answers", "response__language"
    )
    latest_detail = {
        sid: (values or {}, (answers or {}).get(iid) or {}, language or "")
        for sid, iid, values, answers, language in latest_rows
    }

    careplan = careplans_summary(patient, today)
    targets = careplan["chart_targets"] if careplan else {}

    sampled = {
        iid: charts.downsample(((local_day(r[3]), r[4]) for r in rows), today)
        for iid, rows in series.items()
    }
    # One time axis for every chart, so that a visit line sits at the same place on each.
    start = min((p[0].day for p in sampled.values()), default=today)
    trends = []
    for n, (instrument_id, rows) in enumerate(sorted(series.items())):
        info = clinical.info(instrument_id)
        points = sampled[instrument_id]
        last = rows[-1]
        band = info.band_for(last[4])
        trend = Trend(
            info=info,
            points=points,
            svg=charts.trend_svg(
                info,
                points,
                visit_days,
                chart_id=f"chart{n}",
                start=start,
                today=today,
                targets=targets.get(instrument_id, ()),
            ),
            table=charts.table_rows(points),
            latest_value=last[4],
            latest_at=local_day(last[3]),
            band=band,
            band_text=band.shown if band else "",
        )
        if last_visit is not None and last[3] <= last_visit:
            trend.answered_since_visit = False
        elif last_visit is not None:
            before = [r for r in rows if r[3] <= last_visit]
            if before and before[-1][0] != last[0]:
                trend.change_from = before[-1][4]
                trend.change = clinical.change(instrument_id, before[-1][4], last[4])
        item_values, answers, trend.answered_in = latest_detail.get(last[0], ({}, {}, ""))
        trend.items = answers_in_words(instrument_id, last[2], item_values, answers)
        trends.append(trend)

    previsit_row = (
        CheckinResponse.objects.filter(patient=patient, answers__has_key=PREVISIT)
        .order_by("-submitted_at")
        .values_list("answers", "versions", "submitted_at", "language", "free_text")
        .first()
    )
    previsit = None
    if previsit_row is not None:
        answers, versions, submitted_at, language, free_text = previsit_row
        previsit = previsit_answers(answers.get(PREVISIT) or {}, (versions or {}).get(PREVISIT))
        previsit["submitted_on"] = local_day(submitted_at)
        previsit["answered_in"] = language
        previsit["message"] = free_text  # the check-in's one free-text box

    open_alerts: list[dict[str, Any]] = [
        dict(row)
        for row in Alert.objects.filter(patient=patient)
        .exclude(status=AlertStatus.RESOLVED)
        .values("pk", "priority", "rule_id", "rule_version", "response_id")
    ]
    open_request = (
        VisitRequest.objects.filter(patient=patient, status=VisitRequestStatus.OPEN)
        .values("created_at", "target_by")
        .first()
    )
    # The plan agreed at the latest shared visit, and the other shared records to read.
    records: list[dict[str, Any]] = [
        dict(row)
        for row in VisitRecord.objects.filter(patient=patient, status=RecordStatus.SHARED)
        .order_by("-appointment__starts_at")
        .values(
            "appointment_id",
            "appointment__starts_at",
            "decision",
            "patient_actions",
            "team_actions",
            "follow_up",
        )[:RECORDS_SHOWN]
    ]
    for shared in records:
        shared["day"] = local_day(shared["appointment__starts_at"])
    next_visit = None
    if upcoming:
        at, first_name, last_name = upcoming[0]
        next_visit = {
            "at": timezone.localtime(at, zone),
            "clinician": f"{first_name} {last_name}".strip() if first_name or last_name else "",
        }
    return {
        "patient": patient,
        "today": today,
        "zone": zone,
        "previsit": previsit,
        "trends": trends,
        "last_visit": local_day(last_visit) if last_visit else None,
        "next_visit": next_visit,
        "open_alerts": open_alerts,
        **alert_summary(open_alerts),
        "open_request": open_request,
        "careplan": careplan,
        "records": records,
        "plan": records[0] if records else None,
    }
