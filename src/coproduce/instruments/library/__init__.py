"""The instrument library: shipped Questionnaire files plus versions imported by a site.

Shipped instruments are the JSON files next to this module, one file per instrument version
(``phq9-1.0.json``). They are read once per process. Imported versions live in
``InstrumentVersion`` rows; a version is immutable once stored, so each is read from the
database at most once per process and then served from memory.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language

from coproduce.instruments import translations
from coproduce.instruments.definitions import Definition, parse_questionnaire

LIBRARY_DIR = Path(__file__).resolve().parent


class UnknownInstrument(LookupError):
    """No instrument (or no such version of it) is shipped or imported."""

    def __init__(self, instrument_id: str, version: str | None = None, known: str = ""):
        self.instrument_id = instrument_id
        self.version = version
        what = f"{instrument_id!r} version {version!r}" if version else repr(instrument_id)
        super().__init__(f"unknown instrument {what}" + (f"; known: {known}" if known else ""))


def _version_key(version: str) -> tuple:
    """Sort "1.10" after "1.9"; non-numeric parts sort as text after numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))


@cache
def shipped() -> dict[tuple[str, str], Definition]:
    """Every shipped definition keyed by (id, version)."""
    found: dict[tuple[str, str], Definition] = {}
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        questionnaire = json.loads(path.read_text(encoding="utf-8"))
        definition = parse_questionnaire(questionnaire, kind="shipped")
        expected = f"{definition.id}-{definition.version}.json"
        if path.name != expected:
            raise RuntimeError(f"{path.name} holds {definition.key}; name it {expected}")
        found[definition.key] = definition
    return found


_imported: dict[tuple[str, str], Definition] = {}
_lock = threading.Lock()


def _definition_from_row(row) -> Definition:
    return parse_questionnaire(
        row.questionnaire,
        instrument_id=row.instrument_id,
        version=row.version,
        kind=row.kind,
        scoring=row.scoring,
    )


def _load_imported(instrument_id: str, version: str | None) -> Definition | None:
    from coproduce.instruments.models import InstrumentVersion

    rows = InstrumentVersion.objects.filter(
        instrument_id=instrument_id, kind=InstrumentVersion.Kind.IMPORTED
    )
    if version is not None:
        rows = rows.filter(version=version)
    candidates = list(rows)
    if not candidates:
        return None
    row = max(candidates, key=lambda r: _version_key(r.version))
    definition = _definition_from_row(row)
    with _lock:
        _imported[definition.key] = definition
    return definition


def forget_imported() -> None:
    """Drop the in-memory copies of imported versions (tests roll back the database)."""
    with _lock:
        _imported.clear()
        _in_language.clear()


_in_language: dict[tuple[str, str, str, str], Definition] = {}


def in_language(definition: Definition, language: str | None) -> Definition:
    """`definition` with its texts in `language` where it has them (official or, for our own
    questions, the catalogues'); its codes, weights and scoring are the same. The
    Questionnaire JSON stays as stored."""
    base = translations.base_language(language)
    if base == definition.languages[0] or not (
        definition.catalogue or base in definition.languages
    ):
        return definition
    key = (definition.kind, definition.id, definition.version, base)
    found = _in_language.get(key)
    if found is None:
        found = dataclasses.replace(
            parse_questionnaire(
                translations.translated(definition.questionnaire, base),
                instrument_id=definition.id,
                version=definition.version,
                kind=definition.kind,
                scoring=definition.scoring or None,
            ),
            questionnaire=definition.questionnaire,
        )
        with _lock:
            _in_language[key] = found
    return found


def get_definition(instrument_id: str, version: str | None = None) -> Definition:
    """The exact version asked for, or the latest version when ``version`` is None, with its
    texts in the active language where it has them (``in_language``)."""
    return in_language(_get_definition(instrument_id, version), get_language())


def _get_definition(instrument_id: str, version: str | None = None) -> Definition:
    table = shipped()
    if version is not None:
        found = table.get((instrument_id, version)) or _imported.get((instrument_id, version))
        if found is not None:
            return found
    else:
        versions = [d for (i, _), d in table.items() if i == instrument_id]
        if versions:
            return max(versions, key=lambda d: _version_key(d.version))
    found = _load_imported(instrument_id, version)
    if found is None:
        known = ", ".join(sorted({i for i, _ in table}))
        raise UnknownInstrument(instrument_id, version, known)
    return found


def list_definitions(*, include_imported: bool = True) -> list[Definition]:
    """Every shipped version, then imported versions, sorted by id and version."""
    definitions = list(shipped().values())
    if include_imported:
        from coproduce.instruments.models import InstrumentVersion

        rows = InstrumentVersion.objects.filter(kind=InstrumentVersion.Kind.IMPORTED)
        definitions += [_definition_from_row(row) for row in rows]
    return sorted(definitions, key=lambda d: (d.id, _version_key(d.version)))


__all__ = ["Definition", "UnknownInstrument", "get_definition", "list_definitions", "shipped"]


def available_in(instrument_id: str, language: str) -> bool:
    """Whether the instrument has an official text in `language` ("es-US" counts as "es").

    A validated instrument is asked only in a language its owner translated it into; we never
    ship a home-made or machine translation (docs/translations.md). coproduce's own questions
    are in every language the site offers: the catalogues are complete (tests/platform)."""
    base = translations.base_language(language)
    definition = _get_definition(instrument_id)
    if definition.catalogue:
        return base in {code for code, _ in settings.LANGUAGES}
    return base in definition.languages


def unavailable_in(instrument_ids: list[str], language: str) -> list[str]:
    """The instruments of `instrument_ids` that cannot be asked in `language`."""
    return [i for i in instrument_ids if not available_in(i, language)]
