"""`make demo` installs only the runtime dependencies (`pip install -e .`, no `[dev]`): no
module under src/coproduce may import what only the test and lint tools bring. Every module
is read with `ast`, imports inside functions included; each third-party top-level name must
come from a distribution that the project's own Requires-Dist (without extras) installs,
directly or through what those distributions require in turn."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

SRC = Path(__file__).resolve().parent.parent / "src" / "coproduce"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": e}) for e in extras or {""})


def runtime_distributions() -> set[str]:
    """The distributions `pip install -e .` installs here: coproduce's requirements outside
    any extra (markers of this Python), and theirs, with the extras they ask for."""
    seen: set[str] = set()
    todo: list[tuple[str, set[str]]] = [("coproduce", set())]
    asked: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (canonical(name), frozenset(extras)) in asked:
            continue
        asked.add((canonical(name), frozenset(extras)))
        seen.add(canonical(name))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a marker chose it for another platform; nothing here imports it
        for line in requires:
            requirement = Requirement(line)
            if _wanted(requirement, extras):
                todo.append((requirement.name, set(requirement.extras)))
    return seen


def imported_names(source: str) -> set[str]:
    """Top-level names of absolute imports anywhere in `source` (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def not_installed_by_the_runtime(sources: dict[str, str], allowed: set[str]) -> list[str]:
    """Lines "module: name (distributions)" for each import the runtime install does not provide."""
    providers = metadata.packages_distributions()
    problems = []
    for where, source in sorted(sources.items()):
        for name in sorted(imported_names(source)):
            if name in sys.stdlib_module_names or name in ("coproduce", "__future__"):
                continue
            dists = {canonical(d) for d in providers.get(name, [])}
            if not dists & allowed:
                problems.append(f"{where}: {name} ({', '.join(sorted(dists)) or 'not installed'})")
    return problems


def test_the_runtime_dependencies_provide_every_import_of_the_package():
    sources = {str(p.relative_to(SRC)): p.read_text() for p in SRC.rglob("*.py")}
    assert len(sources) > 100
    assert not_installed_by_the_runtime(sources, runtime_distributions()) == []


def test_it_finds_a_dev_only_import_even_inside_a_function():
    allowed = runtime_distributions()
    assert {"django", "django-ninja", "pydantic"} <= allowed  # pydantic: through ninja
    # The dev extras (pyproject.toml [project.optional-dependencies] dev) are not runtime.
    assert not {"pytest", "pandas", "duckdb", "playwright", "hypothesis"} & allowed
    source = (
        "import json\n\ndef export():\n    import pandas as pd\n    from pytest import fixture\n"
    )
    assert not_installed_by_the_runtime({"research/x.py": source}, allowed) == [
        "research/x.py: pandas (pandas)",
        "research/x.py: pytest (pytest)",
    ]
