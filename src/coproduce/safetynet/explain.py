"""What the alert page tells a nurse: why an alert fired, in words, and the trends behind it.

The engine keeps the facts a rule looked at as its trace (`item(phq9, phq9-9)`: 1.0); here
they become one plain sentence ("Alice Andersson answered “Several days” to “Thoughts that
you would be better off dead…” (PHQ-9)"), with answers in the words of the instrument's own
answer options. The trace stays on the page only behind a disclosure for staff.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.platform import charts
from coproduce.safetynet.engine import BUILTIN_CRISIS, CRISIS_RULE_ID
from coproduce.safetynet.models import Alert, Rule
from coproduce.visits import clinical
from coproduce.visits.dashboard import ItemAnswer, answers_in_words

TRACE = re.compile(r"^(\w+)\((.*)\)$")


def _number(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    return str(value)


def answers_of(response: CheckinResponse | None, scores: list[Score]) -> dict[str, list]:
    """Each instrument's answers in words, question by question (instrument id -> answers)."""
    if response is None:
        return {}
    return {
        s.instrument_id: answers_in_words(
            s.instrument_id,
            s.version,
            s.item_values or {},
            (response.answers or {}).get(s.instrument_id) or {},
        )
        for s in scores
    }


def answered(
    scores: list[Score], answers: dict[str, list[ItemAnswer]]
) -> list[tuple[clinical.InstrumentInfo, Score, list[ItemAnswer]]]:
    """Each instrument of the check-in with its score and its answers in words."""
    return [(clinical.info(s.instrument_id), s, answers.get(s.instrument_id, [])) for s in scores]


def trace_of(alert: Alert) -> list[tuple[str, str, tuple[str, ...], Any]]:
    """The engine's facts behind `alert`: (trace key, fact, arguments, value)."""
    found = []
    for key, value in (alert.data or {}).items():
        m = TRACE.match(key)
        if m:
            args = tuple(a.strip().strip("\"'") for a in m.group(2).split(",") if a.strip())
            found.append((key, m.group(1), args, value))
    return found


def why(alert: Alert, answers: dict[str, list[ItemAnswer]]) -> str:
    """One plain sentence saying why `alert` fired."""
    patient = alert.patient.display_name
    parts: list[str] = []
    scores: dict[str, dict[str, Any]] = {}
    for _key, fact, args, value in trace_of(alert):
        if value is None or not args:
            continue
        instrument = args[0]
        if fact == "item" and len(args) == 2:
            item = next((a for a in answers.get(instrument, []) if a.link_id == args[1]), None)
            if item is not None and item.answer:
                parts.append(
                    _("%(who)s answered “%(answer)s” to “%(question)s” (%(instrument)s)")
                    % {
                        "who": patient,
                        "answer": item.answer,
                        "question": item.text.rstrip("?."),
                        "instrument": clinical.info(instrument).short,
                    }
                )
        elif fact in {"score", "previous", "baseline", "since_last_visit", "rising_weeks"}:
            scores.setdefault(instrument, {})[fact] = value
    for instrument, facts in scores.items():
        short = clinical.info(instrument).short
        words = []
        if "score" in facts:
            words.append(
                _("%(instrument)s score %(value)s")
                % {"instrument": short, "value": _number(facts["score"])}
            )
        if "previous" in facts:
            words.append(_("previous %(value)s") % {"value": _number(facts["previous"])})
        if "baseline" in facts:
            words.append(_("baseline %(value)s") % {"value": _number(facts["baseline"])})
        if "since_last_visit" in facts:
            words.append(
                _("changed by %(value)s since the last visit")
                % {"value": _number(facts["since_last_visit"])}
            )
        if "rising_weeks" in facts:
            words.append(
                _("%(instrument)s rising %(n)s check-ins in a row")
                % {"instrument": short, "n": _number(facts["rising_weeks"])}
            )
        if words:
            parts.append(", ".join(words))
    if not parts:
        return _("Raised because: %(reason)s.") % {"reason": alert.reason_shown.rstrip(".")}
    return _("Raised because %(facts)s.") % {"facts": "; ".join(parts)}


def rule_titles(alerts: list[Alert]) -> dict[int, str]:
    """Each alert's rule title, as the rule file names it (one query)."""
    keys = {(a.rule_id, a.rule_version) for a in alerts}
    titles = {
        (rule_id, version): title
        for rule_id, version, title in Rule.objects.filter(
            rule_id__in={k[0] for k in keys}
        ).values_list("rule_id", "version", "title")
        if (rule_id, version) in keys
    }
    titles[(CRISIS_RULE_ID, 0)] = BUILTIN_CRISIS["title"]
    return {a.pk: titles.get((a.rule_id, a.rule_version), a.rule_id) for a in alerts}


@dataclass
class TrendChart:
    info: clinical.InstrumentInfo
    points: list[charts.Point]
    svg: SafeString
    table: SafeString


def trend_charts(
    trends: dict[str, list[Score]], *, zone: dt.tzinfo, today: dt.date
) -> list[TrendChart]:
    """Small charts of the recent scores of each instrument (the dashboard's own charts)."""
    found = []
    for n, (instrument, rows) in enumerate(sorted(trends.items())):
        points = [
            charts.Point(row.at.astimezone(zone).date(), float(row.score), 1, "each")
            for row in rows
            if row.score is not None
        ]
        if not points:
            continue
        info = clinical.info(instrument)
        found.append(
            TrendChart(
                info=info,
                points=points,
                svg=charts.trend_svg(
                    info, points, (), chart_id=f"trend{n}", start=points[0].day, today=today
                ),
                table=charts.table_rows(points),
            )
        )
    return found
