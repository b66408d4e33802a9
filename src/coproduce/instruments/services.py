"""State changes of the instruments app. Callers own the transaction."""

from __future__ import annotations

from typing import Any

from coproduce.instruments import library
from coproduce.instruments.definitions import Definition, parse_questionnaire
from coproduce.instruments.importer import (
    ImportRefused,
    check_questionnaire,
    check_scoring,
    instrument_identity,
)
from coproduce.instruments.models import InstrumentVersion
from coproduce.platform.text import clean_data


def record_version(definition: Definition) -> InstrumentVersion:
    """The stored row of a definition, created for a shipped version on first use.

    Responses reference this row, so the exact Questionnaire they answered is kept even
    after a newer version ships. A shipped file edited in place under the same version is
    a bug: versions are immutable.
    """
    row, created = InstrumentVersion.objects.get_or_create(
        instrument_id=definition.id,
        version=definition.version,
        defaults={
            "title": definition.title,
            "kind": definition.kind,
            "questionnaire": definition.questionnaire,
            "scoring": definition.scoring,
            "license": definition.license,
        },
    )
    if not created and row.questionnaire != definition.questionnaire:
        raise RuntimeError(
            f"{definition.id} {definition.version} differs from the stored copy; "
            "ship a new version instead of editing one"
        )
    return row


def import_questionnaire(
    data: Any,
    *,
    instrument_id: str | None = None,
    version: str | None = None,
    scoring: Any = None,
) -> InstrumentVersion:
    """Check and store an imported Questionnaire; ImportRefused says why it was not stored."""
    data, scoring = clean_data(data), clean_data(scoring)  # storable text only (platform/text.py)
    questionnaire, warnings = check_questionnaire(data)
    table = check_scoring(scoring)
    key_id, key_version = instrument_identity(questionnaire, instrument_id, version)
    if any(d.id == key_id for d in library.shipped().values()):
        raise ImportRefused([f"{key_id!r} is a shipped instrument; import under another --id"])
    if InstrumentVersion.objects.filter(instrument_id=key_id, version=key_version).exists():
        raise ImportRefused(
            [
                f"{key_id} version {key_version} is already stored and versions never change; "
                "import it with a new --version"
            ]
        )
    try:
        definition = parse_questionnaire(
            questionnaire,
            instrument_id=key_id,
            version=key_version,
            kind=InstrumentVersion.Kind.IMPORTED,
            scoring=table,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportRefused([f"cannot read the items: {exc}"]) from exc
    return InstrumentVersion.objects.create(
        instrument_id=definition.id,
        version=definition.version,
        title=definition.title[:200] or definition.id,
        kind=InstrumentVersion.Kind.IMPORTED,
        questionnaire=questionnaire,
        scoring=table,
        license=definition.license,
        warnings=warnings,
    )
