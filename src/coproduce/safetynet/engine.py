"""Evaluate the safety-net rules on a new check-in and record what follows from them.

`plan_safetynet` decides, before anything is written, what a check-in calls for; the submit
adds the plan to its `Batch`, so the response, its scores, the patient's messages, the team's
alerts and the outbox rows commit together or not at all (on PostgreSQL in one statement).
`evaluate_and_record` plans and writes for a response already stored (the worker's re-check).

The crisis check (PHQ-9 item 9 above 0) is hard-coded here on purpose: no rule file, missing
Rule row or failing query can turn it off. Its crisis help comes from
coproduce/platform/crisis.py, text the check-in page shows at once without reading the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import audit_event
from coproduce.checkins.models import CheckinResponse, Score
from coproduce.instruments.library import get_definition
from coproduce.platform import clock, crisis
from coproduce.platform.batch import Batch, Ref, ref_or_value
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.alerts import URGENT_ACK_MINUTES, ack_due, plan_alert
from coproduce.safetynet.expressions import calls, evaluate
from coproduce.safetynet.facts import (
    Facts,
    Snapshot,
    add_history,
    known_needs,
    load_snapshot,
    needs,
    number,
    parsed,
)
from coproduce.safetynet.models import Alert, PatientMessage, Rule
from coproduce.safetynet.recipients import Address, who_hears
from coproduce.safetynet.rules import PLACEHOLDER, PRIORITIES, TEXT_PLACEHOLDERS
from coproduce.safetynet.texts import keyed, reason_shown, shown

log = logging.getLogger(__name__)

CRISIS_RULE_ID = "crisis-phq9-item9"
# The crisis help in English for the default country (what the record keeps; every page
# shows the patient's own country and language, from coproduce/platform/crisis.py).
CRISIS_RESOURCES = crisis.crisis_text(None, "en", minutes=URGENT_ACK_MINUTES)
CLINIC_NOT_REACHED = gettext_noop(
    "We could not alert your care team automatically just now, so they may not see this "
    "until they next open the alert queue. Please call your clinic today and tell them what "
    "you told us here. If you feel very unwell or unsafe, call your emergency number."
)

UNREACHED_NOTICE = _(
    "Nobody in the care team or at the site's urgent contact could be reached about this "
    "urgent alert. Please make sure someone at the clinic acts on it now, and give the site "
    "an urgent contact that works."
)

# The built-in crisis rule, used when no crisis rule from the files fired (or none loaded).
BUILTIN_CRISIS: dict[str, Any] = {
    "id": CRISIS_RULE_ID,
    "title": gettext_noop("Thoughts of self-harm (PHQ-9 item 9)"),
    "priority": "urgent",
    "crisis": True,
    "group": "mood",
    "reason": gettext_noop(
        "PHQ-9 item 9 above 0: thoughts of being better off dead or of self-harm"
    ),
    "message": {
        "acknowledge": gettext_noop(
            "Thank you for telling us you have had thoughts of hurting yourself."
        ),
        "validate": gettext_noop(
            "Many people have thoughts like these when things are hard. It took courage to tell us."
        ),
        "advise": CRISIS_RESOURCES,  # shown from coproduce/platform/crisis.py in any language
        "clinic_will": gettext_noop("Someone from your care team will contact you by {ack_by}."),
    },
}


def instruments_behind(alerts: list[dict[str, Any]]) -> dict[int, frozenset[str]]:
    """{alert pk: the instruments its rule read} for rows of pk, rule_id, rule_version and
    response_id (so a parent's view can leave out what only a teen's confidential answers
    raised). A flag counts as the instruments whose scores in the alert's check-in carry it;
    an alert with no check-in behind it (a job's) read none."""
    wanted = Q(pk__in=[])
    for a in alerts:
        wanted |= Q(rule_id=a["rule_id"], version=a["rule_version"])
    conditions = {
        (rule_id, version): definition.get("condition")
        for rule_id, version, definition in Rule.objects.filter(wanted).values_list(
            "rule_id", "version", "definition"
        )
    }
    flagged: dict[tuple[int, str], set[str]] = {}
    for response_id, instrument, flags in Score.objects.filter(
        response_id__in={a["response_id"] for a in alerts if a["response_id"]}
    ).values_list("response_id", "instrument_id", "flags"):
        for flag in flags or ():
            flagged.setdefault((response_id, flag), set()).add(instrument)
    out: dict[int, frozenset[str]] = {}
    for a in alerts:
        condition = conditions.get((a["rule_id"], a["rule_version"]))
        read: set[str] = set()
        if a["response_id"] is None:
            pass
        elif condition:
            for name, args in calls(parsed(a["rule_id"], a["rule_version"], condition)):
                if name == "flag" and args:
                    read |= flagged.get((a["response_id"], args[0]), set())
                elif args:
                    read.add(args[0])
        elif a["rule_id"] == CRISIS_RULE_ID:
            read = {"phq9"}  # the built-in crisis check: PHQ-9 item 9
        out[a["pk"]] = frozenset(read)
    return out


@dataclass
class SafetyOutcome:
    messages: list[PatientMessage] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    crisis: bool = False


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
        if (number((s.item_values or {}).get("phq9-9")) or 0) > 0:
            return True
    return item9_positive(response.answers)


def _store_english(message: PatientMessage) -> None:
    """Keep the English rendering in the text columns (exports, older readers)."""
    for part, text in shown(message.texts, "en").items():
        setattr(message, part, text)


def fact_params(templates: list[str], facts: Facts | None) -> dict[str, Any]:
    """The values the placeholders of `templates` name ({score.peg} -> "score.peg": 5.0)."""
    params: dict[str, Any] = {}
    for template in templates:
        for name, arg in PLACEHOLDER.findall(template or ""):
            if name in TEXT_PLACEHOLDERS:
                continue
            try:
                value = facts(name, arg) if facts is not None else None
            except Exception:  # a message must still reach the patient
                value = None
            params[f"{name}.{arg}" if arg else name] = value
    return params


def _definitions_or_none(snapshot: Snapshot) -> list[dict[str, Any]]:
    try:
        return snapshot.rules_for_programs()
    except DatabaseError:
        raise
    except Exception:  # already logged by the rules' evaluation; the crisis must still go
        return []


def most_urgent_per_group(fired: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fired rules in order of priority, keeping only the most urgent of each group.

    Rules of one group (e.g. "mood", "pain") are tiers of one concern, so the patient gets
    one message and the team one alert for it. Between rules of equal priority a program's
    own rule (naming fewer programs) is preferred over a rule shared by every program.
    """
    kept, seen = [], set()
    for rule in sorted(
        fired, key=lambda r: (PRIORITIES[r["priority"]], len(r.get("programs", [])))
    ):
        group = rule.get("group")
        if group and group in seen:
            continue
        seen.add(group)
        kept.append(rule)
    return kept


def open_alert(
    rule: dict[str, Any], snapshot: Snapshot, groups: dict[str, str | None]
) -> tuple[int, dt.datetime | None] | None:
    """The (priority, due time) of an unresolved alert that makes a new one for `rule` noise:
    one from the same rule, or from its group at the same or a higher priority."""
    priority, group = PRIORITIES[rule["priority"]], rule.get("group")
    found = [
        entry
        for rule_id, entry in snapshot.open_alerts.items()
        if rule_id == rule["id"]
        or (group and groups.get(rule_id) == group and entry[0] <= priority)
    ]
    if not found and rule["id"] in snapshot.unresolved:
        return (priority, None)  # (a snapshot built without due times)
    if not found:
        return None
    dues = [due for _, due in found if due is not None]
    return (min(p for p, _ in found), min(dues) if dues else None)


def snapshot_instruments(answered: set[str]) -> set[str]:
    """Whose history to read: what was answered and what any known rule asks about."""
    return answered | known_needs()


def _fired_rules(
    response: CheckinResponse, scores: list[Score], snapshot: Snapshot
) -> tuple[list[dict[str, Any]], Facts | None]:
    rules = snapshot.rules_for_programs()
    if not rules:
        return [], None
    trees = {r["id"]: parsed(r["id"], r["version"], r["condition"]) for r in rules}
    needed = set().union(*(needs(r["id"], r["version"], r["condition"]) for r in rules))
    if needed - snapshot.asked:
        # A rule this process had not seen asks about history the snapshot did not read.
        add_history(
            snapshot,
            patient_id=response.patient_id,
            at=response.submitted_at,
            instruments=needed - snapshot.asked,
            exclude=response.pk,
        )
    facts = Facts(response, scores, snapshot)
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


def alert_notifications(
    alert: Alert, addresses: list[Address], *, purpose: str, now: dt.datetime
) -> list[Notification]:
    """Unsaved outbox rows telling `addresses` about `alert` (the caller sets the dedupe keys)."""
    subject = f"{alert.get_priority_display()} alert: {alert.patient.registry_id}"
    due = alert.ack_due_at
    if due is not None:
        due = due.astimezone(alert.care_team.site.zone)  # the clinic's own clock
    body = (
        f"{alert.reason}\n\nPatient {alert.patient.registry_id}. Please open the alert queue "
        f"and acknowledge it by {due:%Y-%m-%d %H:%M %Z}."
    )
    if purpose == "unreached":
        body = f"{UNREACHED_NOTICE}\n\n{body}"
    return [
        Notification(
            channel=a.channel,
            to=a.to,
            subject=subject[:200],
            body=body,
            purpose=purpose,
            priority=alert.priority,
            patient=alert.patient,
            alert=alert,
            next_attempt_at=now,
            created_at=now,
        )
        for a in addresses
    ]


def notify(
    alert: Alert, addresses: list[Address], *, purpose: str, key: str, now: dt.datetime
) -> int:
    """Write outbox rows for `addresses`; a dedupe key already used is skipped, not duplicated."""
    rows = alert_notifications(alert, addresses, purpose=purpose, now=now)
    for row, address in zip(rows, addresses, strict=True):
        row.dedupe_key = f"{key}:{address.key}"[:120]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


@dataclass
class PlannedAlert:
    alert: Alert
    events: list[AuditEvent]
    recipients: list[Address]  # told at once (urgent alerts only; see recipients.py)
    purpose: str = "alert"  # "unreached" when only the registry admins could be told


@dataclass
class SafetyPlan:
    """The messages, alerts, audit events and outbox rows a check-in calls for, unsaved.

    Built before anything is written (the reads come first, in one query), then added to the
    submit's `Batch` so that everything is stored in the same statement as the response.
    """

    response: CheckinResponse
    crisis: bool
    now: dt.datetime
    messages: list[PatientMessage] = field(default_factory=list)
    alerts: list[PlannedAlert] = field(default_factory=list)

    def add_to(self, batch: Batch) -> None:
        for message in self.messages:
            batch.insert(message)
        for planned in self.alerts:
            alert = planned.alert
            batch.insert(alert)
            for event in planned.events:
                batch.insert(event, refs={"object_id": Ref(alert)})
            if not planned.recipients:
                continue
            rows = alert_notifications(
                alert, planned.recipients, purpose=planned.purpose, now=self.now
            )
            for row, address in zip(rows, planned.recipients, strict=True):
                # One message per address per rule and check-in, even if it is evaluated again.
                key = ref_or_value(self.response, "alert:r", f":{alert.rule_id[:70]}:{address.key}")
                if isinstance(key, Ref):
                    batch.insert(row, refs={"dedupe_key": key}, ignore_conflicts=True)
                else:
                    row.dedupe_key = key
                    batch.insert(row, ignore_conflicts=True)

    @property
    def team_told(self) -> bool:
        """Whether every urgent alert reached the team or the site's urgent contact (and a
        crisis raised one): only then may the patient read that the team has been told."""
        urgent = [p for p in self.alerts if p.alert.priority == Priority.URGENT]
        if self.crisis and not urgent:
            return False
        return all(p.alert.unreached_at is None for p in urgent)

    def outcome(self) -> SafetyOutcome:
        return SafetyOutcome(
            messages=list(self.messages),
            alerts=[p.alert for p in self.alerts],
            crisis=self.crisis,
        )


def plan_safetynet(
    response: CheckinResponse,
    scores: list[Score],
    *,
    now: dt.datetime | None = None,
    snapshot: Snapshot | None = None,
) -> SafetyPlan:
    """Decide what a check-in calls for, without writing anything (one query of reads).

    `response` and `scores` may be unsaved: the submit plans before it stores, and may pass
    the `snapshot` it read together with its own first read. A database error propagates
    (the transaction cannot go on); a bug in a rule only skips the rules, and the crisis
    check below still runs.
    """
    now = now or clock.now()
    patient = response.patient
    plan = SafetyPlan(response=response, crisis=is_crisis(response, scores), now=now)
    fired: list[dict[str, Any]] = []
    facts: Facts | None = None
    if snapshot is None:
        snapshot = load_snapshot(
            patient_id=patient.pk,
            at=response.submitted_at,
            now=now,
            instruments=snapshot_instruments({s.instrument_id for s in scores}),
            exclude_response=response.pk,
        )
    try:
        fired, facts = _fired_rules(response, scores, snapshot)
    except DatabaseError:
        raise
    except Exception:
        log.exception("safety-net rules failed on response %s; crisis still checked", response.pk)
        fired, facts = [], None
    if plan.crisis and not any(r.get("crisis") for r in fired):
        fired.append(BUILTIN_CRISIS | {"version": 0, "data": {"phq9 item 9": "above 0"}})

    # Which group each rule of the patient's programs is in (for the open alerts it raised).
    groups = {r["id"]: r.get("group") for r in [*_definitions_or_none(snapshot), *fired]}
    for rule in most_urgent_per_group(fired):
        crisis = bool(rule.get("crisis"))
        if rule["id"] in snapshot.snoozed and not crisis:  # crisis alerts cannot be snoozed
            continue
        priority = PRIORITIES[rule["priority"]]
        # One open alert per rule (or per group, at this priority or a higher one) and
        # patient is enough for the team; urgent ones always go. The patient is then promised
        # the time the open alert is due, if that is still ahead.
        still_open = None if priority == Priority.URGENT else open_alert(rule, snapshot, groups)
        due = ack_due(priority, now)
        promised = still_open[1] if still_open and still_open[1] and still_open[1] > now else due
        site = patient.care_team.site
        reason = {"key": rule["reason"], "params": {}}
        params = reason["params"] = fact_params([*rule["message"].values(), rule["reason"]], facts)
        texts = keyed(
            dict(rule["message"]),
            params,
            due=promised,
            now=now,
            zone=site.time_zone,
            country=site.country,
            crisis_team="told" if crisis else "",
        )
        message = PatientMessage(
            patient=patient,
            response=response,
            rule_id=rule["id"],
            crisis=crisis,
            created_at=now,
            texts=texts,
        )
        _store_english(message)
        plan.messages.append(message)
        if still_open is not None:
            continue
        raised = plan_alert(
            patient=patient,
            response=response,
            rule_id=rule["id"],
            rule_version=rule.get("version", 0),
            priority=priority,
            reason=reason_shown(reason, "", "en"),
            reason_texts=reason,
            data=rule["data"] | ({"crisis": True} if crisis else {}),
            now=now,
            ack_due_at=due,
        )
        alert, events = raised.alert, [raised.event]
        if priority != Priority.URGENT:
            plan.alerts.append(PlannedAlert(alert, events, []))
            continue
        hearers = who_hears(snapshot.contacts, 0)
        if hearers.reached:
            plan.alerts.append(PlannedAlert(alert, events, hearers.addresses))
            continue
        # Nobody to tell: say so to the patient, tell the registry admins, flag the alert.
        log.error(
            "urgent alert %s for patient %s: no address in the team or the site's urgent "
            "contact; %d registry admin(s) told",
            rule["id"],
            patient.pk,
            len(hearers.addresses),
        )
        alert.unreached_at = now
        message = plan.messages[-1]
        message.texts["parts"]["clinic_will"] = CLINIC_NOT_REACHED
        if crisis:
            message.texts["crisis_team"] = "not_reached"
        _store_english(message)
        events.append(
            audit_event(
                "alert.unreached",
                patient=patient,
                obj=alert,
                detail={"why": "no address", "admins": len(hearers.addresses)},
            )
        )
        plan.alerts.append(PlannedAlert(alert, events, hearers.addresses, purpose="unreached"))
    return plan


def evaluate_and_record(
    response: CheckinResponse,
    scores: list[Score],
    *,
    now: dt.datetime | None = None,
    fresh: bool = False,
) -> SafetyOutcome:
    """Write the patient messages, alerts and outbox rows a stored check-in calls for.

    Evaluating the same response twice returns what the first call wrote; `fresh` says the
    response was created in this very transaction, so there is nothing earlier to look for.
    (The submit itself plans before it stores: see `plan_safetynet`.)
    """
    if not fresh:
        existing = list(PatientMessage.objects.filter(response=response).order_by("pk"))
        alerts = list(Alert.objects.filter(response=response).order_by("pk"))
        if existing or alerts:
            return SafetyOutcome(
                messages=existing, alerts=alerts, crisis=is_crisis(response, scores)
            )
    plan = plan_safetynet(response, scores, now=now)
    batch = Batch()
    plan.add_to(batch)
    batch.write()
    return plan.outcome()
