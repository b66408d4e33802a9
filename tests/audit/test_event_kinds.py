"""Every audit event kind written anywhere in src/ is registered and can be searched for."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coproduce.audit.events import kinds, register_kinds
from coproduce.audit.views import AuditSearchForm

SRC = Path(__file__).resolve().parents[2] / "src" / "coproduce"
WRITERS = {"record", "audit_event", "audit"}  # coproduce.audit.services and its aliases


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value else []
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def kinds_used_in_src() -> dict[str, str]:
    """Each kind passed to the audit writer (or as `event=` to an audited read) → where."""
    used: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_writer = any(
            isinstance(n, ast.ImportFrom) and n.module == "coproduce.audit.services"
            for n in ast.walk(tree)
        )
        for node in ast.walk(tree):
            found: list[str] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if imports_writer and name in WRITERS and node.args:
                    found += _strings(node.args[0])
                found += [s for k in node.keywords if k.arg == "event" for s in _strings(k.value)]
            elif isinstance(node, ast.arguments):
                # Audited-read helpers: `def get_patient_for(..., event="patient.viewed")`.
                positional = [*node.posonlyargs, *node.args]
                pairs = [
                    *zip(
                        positional[len(positional) - len(node.defaults) :],
                        node.defaults,
                        strict=True,
                    ),
                    *zip(node.kwonlyargs, node.kw_defaults, strict=True),
                ]
                found += [s for a, d in pairs if a.arg == "event" and d for s in _strings(d)]
            for kind in found:
                used.setdefault(kind, f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}")
    return used


def test_it_finds_the_kinds_the_code_writes():
    used = kinds_used_in_src()
    # A few known writers, so that a broken scan cannot pass by finding nothing.
    assert {"alert.raised", "careplans.dose.flagged", "registry.pdsa.added"} <= set(used)
    assert {"patient.viewed", "visit_record.shared", "visit_record.saved"} <= set(used)
    assert len(used) > 60


def test_it_registers_every_kind_used_in_src():
    missing = {kind: where for kind, where in kinds_used_in_src().items() if kind not in kinds()}
    assert missing == {}


@pytest.mark.django_db
def test_it_offers_every_used_kind_in_the_audit_search():
    for kind in kinds_used_in_src():
        form = AuditSearchForm({"event": kind})
        assert form.is_valid(), (kind, form.errors)


def test_it_offers_every_kind_right_after_setup_whatever_was_imported_first():
    """The search form is imported first thing in a fresh process: no kind may be missing
    because the module that writes it was not imported yet."""
    script = (
        "import django, json; django.setup();"
        "from coproduce.audit.views import AuditSearchForm;"
        "print(json.dumps([c for c, _ in AuditSearchForm().fields['event'].choices if c]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "coproduce.settings", "COPRODUCE_MODE": "test"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    offered = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert set(kinds_used_in_src()) - offered == set()


def test_it_refuses_one_kind_declared_with_two_meanings():
    kind = next(iter(kinds()))
    with pytest.raises(ValueError, match="declared twice"):
        register_kinds({kind: "Something else entirely."})
    register_kinds({kind: kinds()[kind]})  # the same meaning again is harmless


def test_it_shows_every_registered_kind_in_the_search_page(client, world):
    client.force_login(world.adam)
    page = client.get("/audit/").content.decode()
    for kind in ("alert.raised", "careplans.taper.decided", "registry.pdsa.added"):
        assert f'value="{kind}"' in page
