"""Evaluate the safety-net rules on a new check-in and record what follows from them.

`evaluate_and_record` runs inside the caller's submit transaction: the response, its scores,
the patient's messages, the team's alerts and the outbox rows commit together or not at all.

The crisis check (PHQ-9 item 9 above 0) is hard-coded here on purpose: no rule file, missing
Rule row or failing query can turn it off. `CRISIS_RESOURCES` is plain text the check-in page
shows at once, without reading the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coproduce.audit.events import register
from coproduce.audit.services import record
from coproduce.checkins.models import CheckinResponse, Enrollment, Score
from coproduce.instruments.library import get_definition
from coproduce.people.models import CARE_ROLES, Patient, Role, User
from coproduce.safetynet.expressions import calls, evaluate, parse
from coproduce.safetynet.models import (
    Alert,
    AlertStatus,
    Notification,
    PatientMessage,
    Priority,
    Rule,
    Snooze,
)
from coproduce.safetynet.rules import PLACEHOLDER, PRIORITIES
from coproduce.visits.models import Appointment, AppointmentStatus

log = logging.getLogger(__name__)

# How soon the team must acknowledge an alert. These become per-site settings later (a Site
# field, added by the lead); until then every site uses the same times. Routine follows
# PRO-TECT, where a human forwarded alerts within 72 hours.
URGENT_ACK_MINUTES = 60
SOON_ACK_HOURS = 24
ROUTINE_ACK_HOURS = 72

CRISIS_RULE_ID = "crisis-phq9-item9"
CRISIS_RESOURCES = (
    "You told us you have had thoughts that you would be better off dead, or of hurting "
    "yourself. Thank you for telling us. You are not alone, and help is there right now.\n"
    "- If you might act on these thoughts or you do not feel safe: call your emergency "
    "number now (112 in Europe, 911 in the US and Canada, or your local emergency number), "
    "or go to the nearest emergency department.\n"
    "- You can call a crisis line at any time, day or night: 988 in the US, or your local "
    "crisis line (in Sweden, Mind Självmordslinjen 90101).\n"
    "- Tell someone you trust how you feel, and ask them to stay with you.\n"
    f"- Your care team has been told. Someone will contact you within {URGENT_ACK_MINUTES} "
    "minutes if it is during clinic hours, otherwise first thing the next clinic morning. "
    "Do not wait for us if you feel unsafe."
)

# The built-in crisis rule, used when no crisis rule from the files fired (or none loaded).
BUILTIN_CRISIS: dict[str, Any] = {
    "id": CRISIS_RULE_ID,
    "title": "Thoughts of self-harm (PHQ-9 item 9)",
    "priority": "urgent",
    "crisis": True,
    "reason": "PHQ-9 item 9 above 0: thoughts of being better off dead or of self-harm",
    "message": {
        "acknowledge": "Thank you for telling us you have had thoughts of hurting yourself.",
        "validate": "Many people have thoughts like these when things are hard. "
        "It took courage to tell us.",
        "advise": CRISIS_RESOURCES,
        "clinic_will": "Someone from your care team will contact you by {ack_by}.",
    },
}

for _event, _text in {
    "alert.raised": "The safety net raised an alert for the care team.",
    "alert.viewed": "A care-team member opened an alert (and the check-in behind it).",
    "alert.listed": "The alert queue was shown (detail lists the registry IDs).",
    "alert.acknowledged": "A care-team member acknowledged an alert.",
    "alert.resolved": "A care-team member resolved an alert with a note.",
    "alert.reassigned": "An alert was reassigned to another team member.",
    "alert.snoozed": "A rule was snoozed for a patient for a number of days.",
    "alert.escalated": "An urgent alert was not acknowledged in time and was escalated.",
}.items():
    register(_event, _text)


@dataclass
class SafetyOutcome:
    messages: list[PatientMessage] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    crisis: bool = False


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def item9_positive(answers: dict[str, dict[str, Any]]) -> bool:
    """PHQ-9 item 9 above 0, read from the raw answers (needs nothing but the definition)."""
    raw = (answers or {}).get("phq9", {}).get("phq9-9")
    if raw in (None, ""):
        return False
    item = get_definition("phq9").item("phq9-9")
    option = item.by_code.get(str(raw))
    if option is not None:
        return (option.weight or 0) > 0
    try:
        return float(raw) > 0
    except (TypeError, ValueError):
        return False


def is_crisis(response: CheckinResponse, scores: list[Score]) -> bool:
    """Return whether PHQ-9 item 9 is above 0 (from flags, item values or raw answers; no DB)."""
    for s in scores:
        if s.instrument_id != "phq9":
            continue
        if "phq9_item9_positive" in (s.flags or []):
            return True
        if (_number((s.item_values or {}).get("phq9-9")) or 0) > 0:
            return True
    return item9_positive(response.answers)


class Facts:
    """What a condition can ask about: this check-in, and the patient's history (one query)."""

    def __init__(
        self,
        response: CheckinResponse,
        scores: list[Score],
        instruments: set[str],
        *,
        enrolled_on: dt.date | bool | None = False,
    ):
        self.response = response
        self.scores = scores
        self.current = {s.instrument_id: s for s in scores}
        self.names = {"free_text": bool((response.free_text or "").strip())}
        patient_id = response.patient_id
        rows = (
            Score.objects.filter(patient_id=patient_id, instrument_id__in=sorted(instruments))
            .exclude(response_id=response.pk)
            .filter(at__lte=response.submitted_at, score__isnull=False)
            .order_by("at", "pk")
            .values_list("instrument_id", "at", "score")
        )
        self.history: dict[str, list[tuple[dt.datetime, float]]] = {}
        for instrument_id, at, value in rows:
            if value is not None:  # the query excludes them; this tells the type checker
                self.history.setdefault(instrument_id, []).append((at, value))
        self._patient_id = patient_id
        self._visit: dt.datetime | bool | None = False  # False: not looked up yet
        self._enrolled: dt.datetime | bool | None = False  # False: not looked up yet
        if isinstance(enrolled_on, dt.date):
            self._enrolled = dt.datetime.combine(enrolled_on, dt.time.min, tzinfo=dt.UTC)
        elif enrolled_on is None:
            self._enrolled = None

    def enrolled_at(self) -> dt.datetime | None:
        if self._enrolled is False:
            day = (
                Enrollment.objects.filter(patient_id=self._patient_id, ended_on__isnull=True)
                .order_by("started_on")
                .values_list("started_on", flat=True)
                .first()
            )
            self._enrolled = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None
        return self._enrolled  # type: ignore[return-value]

    def last_visit(self) -> dt.datetime | None:
        if self._visit is False:
            self._visit = (
                Appointment.objects.filter(
                    patient_id=self._patient_id,
                    status=AppointmentStatus.ATTENDED,
                    starts_at__lte=self.response.submitted_at,
                )
                .order_by("-starts_at")
                .values_list("starts_at", flat=True)
                .first()
            )
        return self._visit  # type: ignore[return-value]

    def __call__(self, name: str, *args: str) -> Any:
        return getattr(self, f"fact_{name}")(*args)

    def fact_score(self, instrument: str) -> float | None:
        s = self.current.get(instrument)
        return s.score if s is not None and s.complete else None

    def fact_band(self, instrument: str) -> str | None:
        s = self.current.get(instrument)
        return s.band if s is not None else None

    def fact_answered(self, instrument: str) -> bool:
        return instrument in self.current or instrument in (self.response.answers or {})

    def fact_flag(self, name: str) -> bool:
        return any(name in (s.flags or []) for s in self.scores)

    def fact_item(self, instrument: str, link_id: str) -> Any:
        s = self.current.get(instrument)
        value = (s.item_values or {}).get(link_id) if s is not None else None
        if value is None:
            value = ((self.response.answers or {}).get(instrument) or {}).get(link_id)
        number = _number(value)
        return number if number is not None else value

    def fact_previous(self, instrument: str) -> float | None:
        past = self.history.get(instrument)
        return past[-1][1] if past else None

    def fact_baseline(self, instrument: str) -> float | None:
        start = self.enrolled_at()
        for at, value in self.history.get(instrument, []):
            if start is None or at >= start:
                return value
        return None

    def fact_since_last_visit(self, instrument: str) -> float | None:
        visit, now = self.last_visit(), self.fact_score(instrument)
        if visit is None or now is None:
            return None
        before = [v for at, v in self.history.get(instrument, []) if at <= visit]
        return now - before[-1] if before else None

    def fact_rising_weeks(self, instrument: str) -> int | None:
        now = self.fact_score(instrument)
        if now is None:
            return None
        series = [v for _, v in self.history.get(instrument, [])] + [now]
        rises = 0
        for i in range(len(series) - 1, 0, -1):
            if series[i] <= series[i - 1]:
                break
            rises += 1
        return rises


def _fmt(value: Any) -> str:
    if value is None:
        return "not known"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    return str(value)


def _ack_due(priority: int, now: dt.datetime) -> dt.datetime:
    if priority == Priority.URGENT:
        return now + dt.timedelta(minutes=URGENT_ACK_MINUTES)
    if priority == Priority.SOON:
        return now + dt.timedelta(hours=SOON_ACK_HOURS)
    return now + dt.timedelta(hours=ROUTINE_ACK_HOURS)


def _ack_by_text(due: dt.datetime, now: dt.datetime, patient: Patient) -> str:
    zone = patient.care_team.site.zone
    local, today = due.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return f"{local:%H:%M} today"
    if local.date() == today + dt.timedelta(days=1):
        return f"{local:%H:%M} tomorrow"
    return f"{local:%A %-d %B}"


def render(template: str, facts: Facts | None, ack_by: str) -> str:
    """Fill {score.peg}-style placeholders and {ack_by} in a rule's text."""

    def fill(m: Any) -> str:
        name, arg = m.group(1), m.group(2)
        if name == "ack_by":
            return ack_by
        try:
            return _fmt(facts(name, arg)) if facts is not None else "not known"
        except Exception:  # a message must still reach the patient
            return "not known"

    return PLACEHOLDER.sub(fill, template)


# A rule version's definition never changes (new content makes a new version), so each
# process reads it from the database once.
_DEFINITIONS: dict[tuple[str, int], dict[str, Any]] = {}


@lru_cache(maxsize=512)
def _parsed(rule_id: str, version: int, condition: str):
    """Parse a rule's condition once per process (a rule version never changes)."""
    return parse(condition)


def _active_rules(patient: Patient) -> tuple[list[dict[str, Any]], dt.date | None]:
    """Return the active rules of the patient's programs and the first enrollment date."""
    enrollments = list(
        Enrollment.objects.filter(patient=patient, ended_on__isnull=True).values_list(
            "program__slug", "started_on"
        )
    )
    programs = {slug for slug, _ in enrollments}
    first_day = min((day for _, day in enrollments), default=None)
    if not programs:
        return [], first_day
    active = list(Rule.objects.filter(active=True).values_list("rule_id", "version"))
    missing = [(r, v) for r, v in active if (r, v) not in _DEFINITIONS]
    if missing:
        wanted = Q()
        for rule_id, version in missing:
            wanted |= Q(rule_id=rule_id, version=version)
        for rule_id, version, definition in Rule.objects.filter(wanted).values_list(
            "rule_id", "version", "definition"
        ):
            _DEFINITIONS[(rule_id, version)] = definition
    rules = []
    for rule_id, version in active:
        definition = _DEFINITIONS[(rule_id, version)]
        if definition.get("trigger", "checkin") == "checkin" and programs & set(
            definition.get("programs", [])
        ):
            rules.append(definition | {"id": rule_id, "version": version})
    return rules, first_day


def _fired_rules(
    response: CheckinResponse, scores: list[Score]
) -> tuple[list[dict[str, Any]], Facts | None]:
    rules, first_day = _active_rules(response.patient)
    if not rules:
        return [], None
    trees = {r["id"]: _parsed(r["id"], r["version"], r["condition"]) for r in rules}
    needed = {args[0] for tree in trees.values() for _, args in calls(tree) if args}
    facts = Facts(response, scores, needed, enrolled_on=first_day)
    fired = []
    for rule in rules:
        try:
            hit = evaluate(trees[rule["id"]], facts, facts.names)
        except Exception:  # one broken rule must not silence the others
            log.exception("safety-net rule %s failed on response %s", rule["id"], response.pk)
            continue
        if hit:
            data = {f"{n}({', '.join(a)})": facts(n, *a) for n, a in calls(trees[rule["id"]])}
            fired.append(rule | {"data": data})
    return fired, facts


def team_recipients(patient_or_team_id: int, level: int) -> list[User]:
    """Return who hears about an urgent alert at an escalation level (0 = first line).

    0: the team's nurses; 1: its clinicians; 2: every care-role member. An empty rung falls
    through to everyone, so an alert never goes nowhere.
    """
    members = list(
        User.objects.filter(
            memberships__care_team_id=patient_or_team_id, is_active=True, role__in=CARE_ROLES
        )
        .exclude(email="")
        .order_by("pk")
    )
    rung = {0: {Role.NURSE}, 1: {Role.CLINICIAN}}.get(level)
    chosen = [u for u in members if rung is None or u.role in rung]
    return chosen or members


def notify(alert: Alert, users: list[User], *, purpose: str, key: str, now: dt.datetime) -> int:
    """Write outbox rows for `users`; a dedupe key already used is skipped, not duplicated."""
    subject = f"{alert.get_priority_display()} alert: {alert.patient.registry_id}"
    due = alert.ack_due_at
    if due is not None:
        due = due.astimezone(alert.care_team.site.zone)  # the clinic's own clock
    body = (
        f"{alert.reason}\n\nPatient {alert.patient.registry_id}. Please open the alert queue "
        f"and acknowledge it by {due:%Y-%m-%d %H:%M %Z}."
    )
    rows = [
        Notification(
            channel="email",
            to=u.email,
            subject=subject[:200],
            body=body,
            purpose=purpose,
            dedupe_key=f"{key}:u{u.pk}"[:120],
            patient=alert.patient,
            next_attempt_at=now,
            created_at=now,
        )
        for u in users
    ]
    if not users:
        log.warning("alert %s: no team member with an e-mail address to notify", alert.pk)
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def evaluate_and_record(
    response: CheckinResponse,
    scores: list[Score],
    *,
    now: dt.datetime | None = None,
    fresh: bool = False,
) -> SafetyOutcome:
    """Write the patient messages, alerts and outbox rows a new check-in calls for.

    Evaluating the same response twice returns what the first call wrote; `fresh` says the
    response was created in this very transaction, so there is nothing earlier to look for.
    """
    now = now or timezone.now()
    patient = response.patient
    outcome = SafetyOutcome(crisis=is_crisis(response, scores))
    existing = (
        [] if fresh else list(PatientMessage.objects.filter(response=response).order_by("pk"))
    )
    if existing or (not fresh and Alert.objects.filter(response=response).exists()):
        outcome.messages = existing
        outcome.alerts = list(Alert.objects.filter(response=response).order_by("pk"))
        return outcome

    fired: list[dict[str, Any]] = []
    facts: Facts | None = None
    snoozed: set[str] = set()
    unresolved: set[str] = set()
    try:
        with transaction.atomic():  # a savepoint: a failing query leaves the caller usable
            fired, facts = _fired_rules(response, scores)
            ids = [r["id"] for r in fired]
            snoozed = set(
                Snooze.objects.filter(patient=patient, rule_id__in=ids, until__gt=now).values_list(
                    "rule_id", flat=True
                )
            )
            unresolved = set(
                Alert.objects.filter(patient=patient, rule_id__in=ids)
                .exclude(status=AlertStatus.RESOLVED)
                .values_list("rule_id", flat=True)
            )
    except Exception:
        log.exception("safety-net rules failed on response %s; crisis still checked", response.pk)
        fired, facts = [], None
    if outcome.crisis and not any(r.get("crisis") for r in fired):
        fired.append(BUILTIN_CRISIS | {"version": 0, "data": {"phq9 item 9": "above 0"}})

    fired.sort(key=lambda r: PRIORITIES[r["priority"]])
    for rule in fired:
        crisis = bool(rule.get("crisis"))
        if rule["id"] in snoozed and not crisis:  # crisis alerts cannot be snoozed
            continue
        priority = PRIORITIES[rule["priority"]]
        due = _ack_due(priority, now)
        ack_by = _ack_by_text(due, now, patient)
        parts = {k: render(v, facts, ack_by) for k, v in rule["message"].items()}
        outcome.messages.append(
            PatientMessage.objects.create(
                patient=patient,
                response=response,
                rule_id=rule["id"],
                crisis=crisis,
                created_at=now,
                **parts,
            )
        )
        # One open alert per rule and patient is enough for the team; urgent ones always go.
        if rule["id"] in unresolved and priority != Priority.URGENT:
            continue
        alert = Alert.objects.create(
            patient=patient,
            care_team_id=patient.care_team_id,
            response=response,
            rule_id=rule["id"],
            rule_version=rule.get("version", 0),
            priority=priority,
            reason=render(rule["reason"], facts, ack_by)[:300],
            data=rule["data"] | ({"crisis": True} if crisis else {}),
            created_at=now,
            ack_due_at=due,
        )
        record("alert.raised", patient=patient, obj=alert, detail={"rule": rule["id"]})
        if priority == Priority.URGENT:
            notify(
                alert,
                team_recipients(patient.care_team_id, 0),
                purpose="alert",
                key=f"alert:r{response.pk}:{rule['id']}",
                now=now,
            )
        outcome.alerts.append(alert)
    return outcome
