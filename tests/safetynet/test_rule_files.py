"""Rule files load, are checked with clear errors, and sync into versioned rows."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coproduce.safetynet.expressions import ConditionError, evaluate, parse
from coproduce.safetynet.models import Rule
from coproduce.safetynet.rules import PROGRAMS, RULES_DIR, RuleFileError, read_all, sync_rules

GOOD = """
ruleset = "t"
programs = ["ibd"]
[[rule]]
id = "t-one"
title = "One"
priority = "soon"
condition = 'score("hbi") >= {threshold}'
reason = "HBI {{score.hbi}}"
[rule.message]
acknowledge = "a"
validate = "v"
advise = "d"
clinic_will = "by {{ack_by}}"
"""


def write(tmp_path, text, name="t.toml"):
    (tmp_path / name).write_text(text)
    return tmp_path


def test_the_shipped_rule_files_are_valid():
    ids = {r["id"] for r in read_all()}
    assert {"taper-mood-crisis", "taper-pain-up", "ibd-hbi-flare", "ra-das28-flare"} <= ids


def test_the_shared_rules_are_written_once_for_every_program():
    shared = [r for r in read_all() if r["source_file"] == "shared.toml"]
    assert {r["id"] for r in shared} == {"phq9-severe", "phq9-moderate", "pain-up-major", "pain-up"}
    assert all(set(r["programs"]) == PROGRAMS for r in shared)
    # A program's own rule may tighten a shared one (taper-pain-up: the same rise, "soon"),
    # but never copy it: no two rules share both condition and priority.
    pairs = [(r["condition"], r["priority"]) for r in read_all() if r["trigger"] == "checkin"]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (('priority = "soon"', 'priority = "asap"'), "t.toml, rule t-one: priority"),
        (("score(", "scroe("), "t.toml, rule t-one, condition: unknown fact scroe()"),
        (('programs = ["ibd"]', 'programs = ["golf"]'), "t.toml, rule t-one: programs"),
        (('advise = "d"\n', ""), "t.toml, rule t-one, message.advise"),
        (("{{score.hbi}}", "{{nope.hbi}}"), "unknown placeholder {nope.hbi}"),
        (("title", "titel"), "unknown key(s) titel"),
        (('priority = "soon"', 'priority = "soon"\ngroup = "Mood!"'), "group must be lowercase"),
    ],
)
def test_it_names_the_file_and_rule_in_errors(tmp_path, change, error):
    text = GOOD.replace(*change).format(threshold=8)
    with pytest.raises(RuleFileError, match=error.replace("(", r"\(").replace(")", r"\)")):
        read_all(write(tmp_path, text))


def test_it_refuses_the_same_id_in_two_files(tmp_path):
    write(tmp_path, GOOD.format(threshold=8), "a.toml")
    write(tmp_path, GOOD.format(threshold=8), "b.toml")
    with pytest.raises(RuleFileError, match=r"b\.toml, rule t-one: id already used in a\.toml"):
        read_all(tmp_path)


def test_it_makes_a_new_version_only_when_content_changes(db, tmp_path):
    write(tmp_path, GOOD.format(threshold=8))
    assert sync_rules(tmp_path).created == ["t-one v1"]
    assert sync_rules(tmp_path).unchanged == ["t-one v1"]
    write(tmp_path, GOOD.format(threshold=9))
    assert sync_rules(tmp_path).created == ["t-one v2"]
    assert list(Rule.objects.filter(active=True).values_list("version", flat=True)) == [2]
    (tmp_path / "t.toml").unlink()
    write(tmp_path, GOOD.replace("t-one", "t-two").format(threshold=9), "u.toml")
    assert sync_rules(tmp_path).deactivated == ["t-one v2"]


def test_the_rules_command_checks_and_loads(db, capsys):
    call_command("rules", "check")
    call_command("rules", "load")
    out = capsys.readouterr().out
    assert "rules OK" in out and "new or changed" in out
    assert Rule.objects.filter(active=True).count() == len(read_all())


def test_the_rules_command_fails_clearly_on_a_bad_file(db, tmp_path):
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    write(tmp_path / "rules", "ruleset = 'x'\n", "bad.toml")
    with pytest.raises(CommandError, match=r"bad\.toml: no \[\[rule\]\] tables"):
        call_command("rules", "check", dir=tmp_path / "rules")


@pytest.mark.parametrize(
    "text",
    ['__import__("os")', "score('x').real", "score(1)", "1 +", "a = 1", 'item("phq9")', "()"],
)
def test_the_condition_language_refuses_anything_else(text):
    with pytest.raises(ConditionError):
        parse(text)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("1 + 2 * 3 >= 7", True),
        ("-(1 - 3) == 2", True),
        ('score("x") > 1', None),  # not known: quiet
        ('score("x") > 1 or true', True),
        ('not (score("x") > 1) and false', False),
        ('band("x") > 3', None),
        ("free_text", True),
        ("4.2 - 3.0 > 1.2", False),
    ],
)
def test_conditions_evaluate_with_unknowns_as_quiet(text, result):
    def fact(name, *args):
        return {"band": "high"}.get(name)

    assert evaluate(parse(text), fact, {"free_text": True}) == result
