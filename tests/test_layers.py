"""Imports point down (DESIGN.md, "Layout"): faces -> domain apps -> people/instruments/audit
-> the floor. Every module under src/coproduce is read with `ast`, imports inside functions
included, so a lazy import cannot carry a dependency back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "coproduce"

# Lower numbers stand lower. A package may import its own layer and the layers below.
LAYERS: dict[str, int] = {
    # The floor: shared kit that every app may use. `demo` is the seeding framework (the
    # context and the runner); it names each app's seeder by dotted path only.
    "platform": 0,
    "demo": 0,
    # What the domain apps stand on.
    "people": 1,
    "instruments": 1,
    "audit": 1,
    # The domain apps: they may read one another's models and call one another's services.
    "accounts": 2,
    "checkins": 2,
    "safetynet": 2,
    "visits": 2,
    "careplans": 2,
    "registry": 2,
    "research": 2,
    # The faces people and systems use.
    "web": 3,
    "interop": 3,
}
# The project's wiring (settings, URLconf, the `coproduce` command) may import anything.
PROJECT_MODULES = {"__init__", "cli", "conf", "settings", "urls", "wsgi"}
# On the floor, only platform itself: the demo framework does not import it either way.
FLOOR_MAY_IMPORT = {"platform"}


def imported_packages(source: str) -> list[tuple[int, str]]:
    """(line, package) for every `coproduce.<package>` the source imports, anywhere in it."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "coproduce":  # from coproduce import checkins
                names = [f"coproduce.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "coproduce" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def wrong_way(package: str, source: str) -> list[str]:
    """The imports of a module of `package` that point up or sideways out of the floor."""
    layer = LAYERS[package]
    wrong = []
    for line, target in imported_packages(source):
        if target in (package, "conf"):  # conf: the settings' own helpers, below everything
            continue
        if layer == 0:
            allowed = target in FLOOR_MAY_IMPORT
        else:  # the project's wiring (settings, urls, cli) is above every package
            allowed = target in LAYERS and LAYERS[target] <= layer
        if not allowed:
            wrong.append(f"{line}: coproduce.{target}")
    return wrong


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_it_knows_the_layer_of_every_package():
    packages = {p.relative_to(SRC).parts[0] for p in modules() if len(p.relative_to(SRC).parts) > 1}
    top = {p.stem for p in SRC.glob("*.py")}
    assert packages - set(LAYERS) == set(), "new package: give it a layer in LAYERS"
    assert top - PROJECT_MODULES == set(), "new top-level module: put it in a package"


@pytest.mark.parametrize("package", sorted(LAYERS), ids=lambda package: f"coproduce.{package}")
def test_it_finds_no_import_pointing_up(package):
    wrong = {
        str(path.relative_to(SRC.parent)): found
        for path in sorted((SRC / package).rglob("*.py"))
        if "migrations" not in path.parts
        and (found := wrong_way(package, path.read_text(encoding="utf-8")))
    }
    assert wrong == {}


def test_it_catches_an_import_up_even_inside_a_function():
    lazy = "def f():\n    from coproduce.web.views import home\n"
    assert wrong_way("checkins", lazy) == ["2: coproduce.web"]
    assert wrong_way("checkins", "import coproduce.interop.fhir\n") == ["1: coproduce.interop"]
    assert wrong_way("people", "from coproduce import checkins\n") == ["1: coproduce.checkins"]


def test_it_keeps_the_floor_free_of_every_app():
    assert wrong_way("platform", "from coproduce.people.models import Patient\n") != []
    assert wrong_way("platform", "from coproduce.demo import DemoContext\n") != []
    assert wrong_way("platform", "from coproduce.platform import clock\n") == []
    assert wrong_way("checkins", "from coproduce.safetynet.models import Alert\n") == []
    assert wrong_way("people", "from coproduce.audit.services import record\n") == []


# What left the web face for the floor or a domain app; nothing is re-exported where it was.
MOVED_AWAY = {
    "coproduce.web.worker": "coproduce.platform.worker",
    "coproduce.web.models": "coproduce.platform.models",
    "coproduce.web.record": "coproduce.interop.record",
    "coproduce.web.patients": "coproduce.visits.patient_views",
}


@pytest.mark.parametrize("old", sorted(MOVED_AWAY))
def test_a_moved_module_is_gone_from_where_it_was(old):
    import importlib.util

    assert importlib.util.find_spec(old) is None, f"{old} is back: use {MOVED_AWAY[old]}"
    assert importlib.util.find_spec(MOVED_AWAY[old]) is not None


def test_the_web_face_keeps_only_login_home_pages_and_serving():
    from coproduce.web import views

    for name in ("team_patients", "patient_detail", "record_pdf", "record_fhir"):
        assert not hasattr(views, name), f"web.views.{name}: it lives in visits or interop"
    commands = {p.stem for p in (SRC / "web" / "management" / "commands").glob("[!_]*.py")}
    assert commands == {"demo", "scheduler", "serve", "worker"}
    assert not (SRC / "web" / "models.py").exists()


def _static_loads(template: str) -> list[str]:
    import re

    return re.findall(r"""\{%\s*(?:static|inline_static)\s+['"]([^'"]+)['"]""", template)


def test_no_domain_app_template_loads_a_static_file_of_the_web_face():
    """A domain app's page brings its own scripts (checkins/counter.js, careplans/print.js);
    only the base template's stylesheet, coproduce/app.css, is shared by every page."""
    web_static = {
        str(p.relative_to(SRC / "web" / "static"))
        for p in (SRC / "web" / "static").rglob("*")
        if p.is_file()
    }
    shared = {"coproduce/app.css"}
    assert web_static >= shared
    loads = {
        f"{path.relative_to(SRC)}: {name}"
        for package, layer in LAYERS.items()
        if layer == 2 or package in ("people", "instruments", "audit")
        for path in sorted((SRC / package).rglob("*.html"))
        for name in _static_loads(path.read_text(encoding="utf-8"))
        if name in web_static - shared
    }
    assert loads == set()
    assert _static_loads("{% static 'coproduce/counter.js' %}") == ["coproduce/counter.js"]
