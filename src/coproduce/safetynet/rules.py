"""Rule files: read and check the TOML rule sets, and sync them into versioned Rule rows."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Q

from coproduce.platform import clock
from coproduce.platform.catalogue import noop_module_source
from coproduce.platform.models import Priority
from coproduce.safetynet.expressions import FUNCTIONS, ConditionError, parse
from coproduce.safetynet.models import Rule

RULES_DIR = Path(__file__).parent / "rules"
PROGRAMS = frozenset({"opioid-taper", "ra-registry", "ibd", "cf"})
PRIORITIES = {"urgent": Priority.URGENT, "soon": Priority.SOON, "routine": Priority.ROUTINE}
TRIGGERS = frozenset({"checkin", "silence"})
MESSAGE_PARTS = ("acknowledge", "validate", "advise", "clinic_will")
RULE_KEYS = frozenset(
    {"id", "title", "programs", "priority", "crisis", "trigger", "condition", "silent_days"}
    | {"reason", "message", "notes", "source", "group"}
)
# {score.peg}, {baseline.hbi}, ... and {ack_by} (when the clinic will have acted).
# Filled when a message is shown, not from the check-in's facts: the time the team will act by
# and the emergency number of the patient's country (911, 112).
TEXT_PLACEHOLDERS = ("ack_by", "emergency")
PLACEHOLDER = re.compile(r"\{([\w]+)(?:\.([\w-]+))?\}")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}$")


class RuleFileError(ValueError):
    """A rule file that cannot be used, naming the file and the rule."""


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)


def _check_template(text: Any, where: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise RuleFileError(f"{where}: must be non-empty text")
    for name, arg in PLACEHOLDER.findall(text):
        if name in TEXT_PLACEHOLDERS and not arg:
            continue
        if name not in FUNCTIONS or FUNCTIONS[name] != 1 or not arg:
            shown = f"{name}.{arg}" if arg else name
            raise RuleFileError(f"{where}: unknown placeholder {{{shown}}}")


def _check_rule(raw: dict[str, Any], defaults: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        raise RuleFileError(f"{where}: unknown key(s) {', '.join(unknown)}")
    rule = {"ruleset": defaults["ruleset"], "programs": defaults.get("programs", [])} | raw
    for key in ("id", "title", "priority", "reason"):
        if not isinstance(rule.get(key), str) or not rule[key].strip():
            raise RuleFileError(f"{where}: '{key}' is required text")
    if not RULE_ID.match(rule["id"]):
        raise RuleFileError(f"{where}: id must be lowercase letters, digits and dashes")
    if rule["priority"] not in PRIORITIES:
        raise RuleFileError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
    programs = rule["programs"]
    if not isinstance(programs, list) or not programs or set(programs) - PROGRAMS:
        raise RuleFileError(f"{where}: programs must list some of {', '.join(sorted(PROGRAMS))}")
    group = rule.get("group")
    if group is not None and (not isinstance(group, str) or not RULE_ID.match(group)):
        raise RuleFileError(f"{where}: group must be lowercase letters, digits and dashes")
    rule["trigger"] = rule.get("trigger", "checkin")
    rule["crisis"] = bool(rule.get("crisis", False))
    if rule["trigger"] not in TRIGGERS:
        raise RuleFileError(f"{where}: trigger must be one of {', '.join(sorted(TRIGGERS))}")
    _check_template(rule["reason"], f"{where}, reason")
    if rule["trigger"] == "silence":
        days = rule.get("silent_days")
        if not isinstance(days, int) or not 1 <= days <= 365:
            raise RuleFileError(f"{where}: silence rules need silent_days between 1 and 365")
        return rule
    try:
        parse(rule.get("condition", ""))
    except ConditionError as exc:
        raise RuleFileError(f"{where}, condition: {exc}") from None
    message = rule.get("message")
    if not isinstance(message, dict):
        raise RuleFileError(f"{where}: a [rule.message] table with {', '.join(MESSAGE_PARTS)}")
    extra = sorted(set(message) - set(MESSAGE_PARTS))
    if extra:
        raise RuleFileError(f"{where}: unknown message part(s) {', '.join(extra)}")
    for part in MESSAGE_PARTS:
        _check_template(message.get(part), f"{where}, message.{part}")
    return rule


def read_file(path: Path) -> list[dict[str, Any]]:
    """Return the checked rules of one file, or raise RuleFileError naming the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(f"{path.name}: {exc}") from None
    if not isinstance(data.get("ruleset"), str):
        raise RuleFileError(f"{path.name}: 'ruleset' is required at the top of the file")
    rules = data.get("rule")
    if not isinstance(rules, list) or not rules:
        raise RuleFileError(f"{path.name}: no [[rule]] tables")
    checked = []
    for n, raw in enumerate(rules, 1):
        where = f"{path.name}, rule {raw.get('id') or f'#{n}'}"
        checked.append(_check_rule(raw, data, where) | {"source_file": path.name})
    return checked


def read_all(directory: Path = RULES_DIR) -> list[dict[str, Any]]:
    """Return every rule in `directory`; ids must be unique across files."""
    seen: dict[str, str] = {}
    rules = []
    for path in sorted(directory.glob("*.toml")):
        for rule in read_file(path):
            if rule["id"] in seen:
                raise RuleFileError(
                    f"{path.name}, rule {rule['id']}: id already used in {seen[rule['id']]}"
                )
            seen[rule["id"]] = path.name
            rules.append(rule)
    return rules


def sync_rules(directory: Path = RULES_DIR) -> SyncResult:
    """Make the active Rule rows match the files: a new version when a rule's content changed.

    Rules no longer in any file are deactivated, never deleted: alerts name their version.
    """
    result = SyncResult()
    rules = read_all(directory)
    now = clock.now()
    for rule in rules:
        definition = {k: v for k, v in rule.items() if k != "source_file"}
        latest = Rule.objects.filter(rule_id=rule["id"]).order_by("-version").first()
        if latest is not None and latest.definition == definition:
            if not latest.active:
                Rule.objects.filter(pk=latest.pk).update(active=True)
            Rule.objects.filter(rule_id=rule["id"]).exclude(pk=latest.pk).update(active=False)
            result.unchanged.append(str(latest))
            continue
        Rule.objects.filter(rule_id=rule["id"]).update(active=False)
        created = Rule.objects.create(
            rule_id=rule["id"],
            version=(latest.version + 1) if latest else 1,
            ruleset=rule["ruleset"],
            title=rule["title"],
            definition=definition,
            source_file=rule["source_file"],
            loaded_at=now,
        )
        result.created.append(str(created))
    gone = Rule.objects.filter(active=True).filter(~Q(rule_id__in=[r["id"] for r in rules]))
    result.deactivated = [str(r) for r in gone]
    gone.update(active=False)
    return result


# The rule files' texts reach the catalogue through a generated module of gettext_noop calls
# (xgettext cannot read TOML): `coproduce rules messages` writes it, `make messages` runs that
# first, and tests/test_catalogues.py fails when it is out of date.
MESSAGES_MODULE = Path(__file__).parent / "rule_messages.py"


def rule_texts(directory: Path = RULES_DIR) -> list[str]:
    """Every text a person reads in the rule files (titles, reasons, the four parts)."""
    texts: set[str] = set()
    for rule in read_all(directory):
        texts.update(t for t in (rule.get("title"), rule.get("reason")) if t)
        texts.update(t for t in (rule.get("message") or {}).values() if t)
    return sorted(texts)


def messages_module_source(directory: Path = RULES_DIR) -> str:
    return noop_module_source(
        "`coproduce rules messages` from the rule files",
        "texts of the safety-net rule files; keep {placeholders} as they are.",
        "RULE_TEXTS",
        rule_texts(directory),
    )
