"""Daily morphine milligram equivalents (MME) from versioned CDC factor tables.

MME is a rough measure of opioid load used to judge overdose risk. It is *not* a way to
convert a dose of one opioid into a dose of another: cross-tolerance is incomplete, so a
new opioid is started well below the calculated MME (CDC 2022 Clinical Practice
Guideline, MMWR RR-71(3), conversion table caution 3). This module deliberately offers no
drug-to-drug conversion.

Factors live as data in ``factor_tables/<id>.json`` with their source, version and date,
so that a result always says which table produced it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext, gettext_noop

from coproduce.platform.catalogue import noop_module_source

DEFAULT_TABLE = "cdc-2022"
TABLES_DIR = Path(__file__).resolve().parent / "factor_tables"

MG = "mg"
MCG_PER_HR = "mcg/hr"

#: Written into every total: the CDC 2022 table's caution 3, in plain words.
# Marked for the catalogues only: the result stays plain text (the mme command prints it as
# JSON); the pages show it in the reader's language with gettext.
NOT_A_CONVERSION_NOTE = gettext_noop(
    "MME estimates overall opioid load for risk; it is not a conversion between opioids. "
    "Never use it to work out a dose of a different opioid: cross-tolerance is incomplete "
    "and the new opioid is started well below the calculated MME "
    "(CDC 2022 guideline, MMWR RR-71(3), conversion table caution 3)."
)

# A deliberately small list: salts and everyday names we are sure of. Anything else is
# an unknown drug, because guessing a drug name is worse than asking again.
ALIASES: dict[str, str] = {
    "codeine phosphate": "codeine",
    "codeine sulfate": "codeine",
    "fentanyl": "fentanyl transdermal",
    "fentanyl patch": "fentanyl transdermal",
    "hydrocodone bitartrate": "hydrocodone",
    "hydromorphone hcl": "hydromorphone",
    "hydromorphone hydrochloride": "hydromorphone",
    "methadone hcl": "methadone",
    "methadone hydrochloride": "methadone",
    "morphine sulfate": "morphine",
    "morphine sulphate": "morphine",
    "oxycodone hcl": "oxycodone",
    "oxycodone hydrochloride": "oxycodone",
    "oxymorphone hcl": "oxymorphone",
    "oxymorphone hydrochloride": "oxymorphone",
    "tapentadol hcl": "tapentadol",
    "tapentadol hydrochloride": "tapentadol",
    "tramadol hcl": "tramadol",
    "tramadol hydrochloride": "tramadol",
    "buprenorphine patch": "buprenorphine",
    "buprenorphine transdermal": "buprenorphine",
}

UNIT_ALIASES: dict[str, str] = {
    "mg": MG,
    "milligram": MG,
    "milligrams": MG,
    "mcg/hr": MCG_PER_HR,
    "mcg/h": MCG_PER_HR,
    "mcg/hour": MCG_PER_HR,
    "µg/h": MCG_PER_HR,
    "µg/hr": MCG_PER_HR,
    "ug/h": MCG_PER_HR,
    "ug/hr": MCG_PER_HR,
}

_TABLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class MMEError(ValueError):
    """Base class for every MME problem."""

    def message(self) -> str:
        """The problem for a person to read (a factor table's own faults stay in English:
        they are for whoever installed the table, not for the clinician)."""
        return str(self)


class UnknownFactorTableError(MMEError):
    """The requested factor table does not exist."""


# What a person reads about a medication line that cannot be scored, by reason, in their
# language: the field is named as the form names it ("doses per day", not per_day). The
# exception's `problem` stays in English with the JSON input's field names, for the API and
# the command line.
INPUT_PROBLEMS: dict[str, str] = {
    "missing": gettext_noop("%(drug)s: %(field)s is missing."),
    "not_a_number": gettext_noop("%(drug)s: %(field)s must be a number, not “%(value)s”."),
    "not_finite": gettext_noop("%(drug)s: %(field)s must be a finite number, not %(value)s."),
    "not_positive": gettext_noop("%(drug)s: %(field)s must be greater than zero, not %(value)s."),
    "unknown_unit": gettext_noop("%(drug)s: unknown unit “%(value)s” (use mg or mcg/hr)."),
    "unit_does_not_fit": gettext_noop(
        "%(drug)s: the unit %(value)s does not fit; use %(expected)s."
    ),
    "per_day_for_patch": gettext_noop(
        "%(drug)s: a patch dosed in mcg/hr has no doses per day; leave it empty."
    ),
    "unknown_drug": gettext_noop(
        "“%(drug)s” is not in the MME table %(table)s (it knows: %(known)s)."
    ),
}
FIELD_WORDS: dict[str, str] = {
    "drug": gettext_noop("the medicine"),
    "strength": gettext_noop("the strength"),
    "unit": gettext_noop("the unit"),
    "per_day": gettext_noop("doses per day"),
}


class MMEInputError(MMEError):
    """One medication line cannot be scored; says which drug, which field and why."""

    def __init__(
        self, drug: str, field: str, problem: str, reason: str = "", **params: str
    ) -> None:
        self.drug = drug
        self.field = field
        self.problem = problem
        #: A key of INPUT_PROBLEMS and its parameters: the same problem for a person.
        self.reason = reason
        self.params = params
        #: Position in a list of medications, set by ``total_mme``.
        self.index: int | None = None
        super().__init__(f"{drug}: {problem}")

    def message(self) -> str:
        """The problem in the active language, the field named as the form names it."""
        if self.reason not in INPUT_PROBLEMS:
            return str(self)
        field = gettext(FIELD_WORDS.get(self.field, self.field))
        return gettext(INPUT_PROBLEMS[self.reason]) % {
            "drug": self.drug,
            "field": field,
            **self.params,
        }


class UnknownDrugError(MMEInputError):
    """The drug is not in the factor table or the alias list."""


class UnitMismatchError(MMEInputError):
    """The unit is unknown or does not fit the drug (fentanyl in mg, oxycodone in mcg/hr)."""


class InvalidStrengthError(MMEInputError):
    """Strength is missing, not a number, zero or negative."""


class PerDayError(MMEInputError):
    """per_day is missing for an oral drug, given for a patch, or not a positive number."""


@dataclass(frozen=True)
class FactorTier:
    """A dose-dependent factor: applies up to ``max_mg_per_day`` (None = no upper bound)."""

    max_mg_per_day: Decimal | None
    factor: Decimal


@dataclass(frozen=True)
class DrugFactor:
    drug: str
    units: tuple[str, ...]
    factor: Decimal | None
    tiers: tuple[FactorTier, ...] = ()
    note: str = ""
    explanation: str = ""

    @property
    def scored(self) -> bool:
        """Whether this drug has an MME factor (buprenorphine does not)."""
        return self.factor is not None or bool(self.tiers)

    def factor_for(self, mg_per_day: Decimal) -> Decimal | None:
        """The factor for this daily dose (tiered drugs pick their tier)."""
        if not self.tiers:
            return self.factor
        for tier in self.tiers:
            if tier.max_mg_per_day is None or mg_per_day <= tier.max_mg_per_day:
                return tier.factor
        return self.tiers[-1].factor


@dataclass(frozen=True)
class FactorTable:
    id: str
    version: str
    title: str
    source: str
    url: str
    published: str
    notes: tuple[str, ...]
    drugs: Mapping[str, DrugFactor]

    def lookup(self, name: str) -> DrugFactor:
        """The entry for a drug name, case-insensitive, via the small alias list."""
        key = " ".join(str(name).lower().split())
        key = ALIASES.get(key, key)
        try:
            return self.drugs[key]
        except KeyError:
            known = ", ".join(sorted(self.drugs))
            raise UnknownDrugError(
                str(name),
                "drug",
                f"unknown drug in table {self.id} (known: {known})",
                "unknown_drug",
                table=self.id,
                known=known,
            ) from None


@dataclass(frozen=True)
class MedicationMME:
    """One medication line scored: ``mme`` is None for drugs without a factor."""

    drug: str
    strength: Decimal
    unit: str
    per_day: Decimal | None
    daily_amount: Decimal
    factor: Decimal | None
    mme: Decimal | None
    note: str


@dataclass(frozen=True)
class MMETotal:
    table_id: str
    table_source: str
    medications: tuple[MedicationMME, ...]
    total_mme: Decimal
    notes: tuple[str, ...]


# The tables' notes and explanations (the methadone and fentanyl warnings among them) reach
# the catalogue through a generated module of gettext_noop calls, as the rule files' texts
# do: `coproduce mme --messages` writes it, `make messages` runs that first, and
# tests/platform/test_catalogues.py fails when it is out of date. Pages show them with gettext.
MESSAGES_MODULE = Path(__file__).parent / "mme_messages.py"


def factor_table_texts() -> list[str]:
    """Every note and explanation a person reads in the shipped factor tables."""
    texts: set[str] = set()
    for path in sorted(TABLES_DIR.glob("*.json")):
        for entry in json.loads(path.read_text("utf-8"))["drugs"].values():
            texts.update(t for t in (entry.get("note"), entry.get("explanation")) if t)
    return sorted(texts)


def messages_module_source() -> str:
    return noop_module_source(
        "`coproduce mme --messages` from the factor tables",
        "notes of the MME factor tables (clinical warnings); see docs/translations.md.",
        "FACTOR_TABLE_TEXTS",
        factor_table_texts(),
    )


def available_tables() -> list[str]:
    """Ids of the factor tables shipped with coproduce."""
    return sorted(p.stem for p in TABLES_DIR.glob("*.json"))


@lru_cache(maxsize=8)
def load_table(table_id: str = DEFAULT_TABLE) -> FactorTable:
    """Load and check a factor table by id."""
    if not _TABLE_ID.match(table_id) or not (TABLES_DIR / f"{table_id}.json").is_file():
        raise UnknownFactorTableError(
            f"unknown MME factor table {table_id!r} (available: {', '.join(available_tables())})"
        )
    # parse_float=Decimal keeps 2.4 exactly 2.4, so 75 mcg/hr is exactly 180 MME.
    raw = json.loads((TABLES_DIR / f"{table_id}.json").read_text("utf-8"), parse_float=Decimal)
    drugs: dict[str, DrugFactor] = {}
    for name, entry in raw["drugs"].items():
        tiers = tuple(
            FactorTier(
                None if t["max_mg_per_day"] is None else Decimal(t["max_mg_per_day"]),
                Decimal(t["factor"]),
            )
            for t in entry.get("tiers", ())
        )
        factor = None if entry.get("factor") is None else Decimal(entry["factor"])
        drug = DrugFactor(
            drug=name,
            units=tuple(entry["units"]),
            factor=factor,
            tiers=tiers,
            note=entry.get("note", ""),
            explanation=entry.get("explanation", ""),
        )
        if not drug.scored and not drug.explanation:
            raise UnknownFactorTableError(f"{table_id}: {name} has no factor and no explanation")
        drugs[name] = drug
    return FactorTable(
        id=raw["id"],
        version=raw["version"],
        title=raw["title"],
        source=raw["source"],
        url=raw["url"],
        published=raw["published"],
        notes=tuple(raw.get("notes", ())),
        drugs=drugs,
    )


def _table(table: FactorTable | str | None) -> FactorTable:
    if isinstance(table, FactorTable):
        return table
    return load_table(table or DEFAULT_TABLE)


def _positive(value: Any, drug: str, field: str, error: type[MMEInputError]) -> Decimal:
    if value is None:
        raise error(drug, field, f"{field} is missing", "missing")
    try:
        if isinstance(value, bool):  # True is an int to Python, not a dose
            raise ValueError(value)
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise error(
            drug,
            field,
            f"{field} must be a number, not {value!r}",
            "not_a_number",
            value=str(value),
        ) from None
    if not number.is_finite():
        raise error(
            drug,
            field,
            f"{field} must be a finite number, not {value!r}",
            "not_finite",
            value=str(value),
        )
    if number <= 0:
        raise error(
            drug,
            field,
            f"{field} must be greater than zero, not {value}",
            "not_positive",
            value=str(value),
        )
    return number


def _unit(value: Any, entry: DrugFactor, drug: str) -> str:
    if value is None:
        raise UnitMismatchError(drug, "unit", "unit is missing", "missing")
    unit = UNIT_ALIASES.get(" ".join(str(value).lower().split()))
    if unit is None:
        raise UnitMismatchError(
            drug,
            "unit",
            f"unknown unit {value!r} (use mg or mcg/hr)",
            "unknown_unit",
            value=str(value),
        )
    if unit not in entry.units:
        expected = " or ".join(entry.units)
        raise UnitMismatchError(
            drug,
            "unit",
            f"unit {unit} does not fit {entry.drug}; expected {expected}",
            "unit_does_not_fit",
            value=unit,
            expected=expected,
        )
    return unit


def _line(
    entry: DrugFactor,
    strength: Any,
    unit: Any,
    per_day: Any,
    tier_basis: Decimal | None,
) -> MedicationMME:
    name = entry.drug
    unit_ = _unit(unit, entry, name)
    strength_ = _positive(strength, name, "strength", InvalidStrengthError)
    per_day_: Decimal | None
    if unit_ == MCG_PER_HR:
        # A patch strength is already a rate; "per day" would double-count.
        if per_day is not None:
            raise PerDayError(
                name,
                "per_day",
                "per_day does not apply to a patch dosed in mcg/hr; omit it",
                "per_day_for_patch",
            )
        per_day_ = None
        daily = strength_
    else:
        per_day_ = _positive(per_day, name, "per_day", PerDayError)
        daily = strength_ * per_day_
    if not entry.scored:
        return MedicationMME(name, strength_, unit_, per_day_, daily, None, None, entry.explanation)
    factor = entry.factor_for(tier_basis if tier_basis is not None else daily)
    if factor is None:  # a scored entry always yields a factor; guards a malformed table
        raise UnknownFactorTableError(f"{name}: no factor for {daily} {unit_}/day")
    mme = daily * factor
    return MedicationMME(name, strength_, unit_, per_day_, daily, factor, mme, entry.note)


def daily_mme(
    drug: str,
    strength: Any,
    unit: Any,
    per_day: Any = None,
    *,
    table: FactorTable | str | None = None,
) -> MedicationMME:
    """MME/day of one medication line: strength × per_day × factor (patches: mcg/hr × factor).

    Raises an ``MMEInputError`` subclass naming the drug and the problem.
    """
    table_ = _table(table)
    return _line(table_.lookup(drug), strength, unit, per_day, None)


def total_mme(
    medications: Iterable[Mapping[str, Any]],
    *,
    table: FactorTable | str | None = None,
) -> MMETotal:
    """Per-line MME plus the total; lines without a factor are shown but not added.

    Each medication is a mapping with ``drug``, ``strength``, ``unit`` and (oral drugs)
    ``per_day``. Dose-tiered factors (legacy methadone) use the drug's total mg/day
    across all its lines, because the tier describes the patient's methadone dose, not
    one tablet's.
    """
    table_ = _table(table)
    items = list(medications)
    entries: list[DrugFactor] = []
    tier_basis: dict[str, Decimal] = {}
    for index, m in enumerate(items):
        with _at_index(index):
            if not m.get("drug"):
                raise UnknownDrugError(f"item {index}", "drug", "drug is missing", "missing")
            entry = table_.lookup(m["drug"])
            # Scoring once with a dummy basis validates the line and gives its mg/day.
            line = _line(entry, m.get("strength"), m.get("unit"), m.get("per_day"), Decimal(0))
            entries.append(entry)
            if entry.tiers:
                tier_basis[entry.drug] = tier_basis.get(entry.drug, Decimal(0)) + line.daily_amount

    lines = tuple(
        _line(e, m.get("strength"), m.get("unit"), m.get("per_day"), tier_basis.get(e.drug))
        for m, e in zip(items, entries, strict=True)
    )
    total = sum((line.mme for line in lines if line.mme is not None), Decimal(0))
    notes = [NOT_A_CONVERSION_NOTE]
    for line in lines:
        if line.note and line.note not in notes:
            notes.append(line.note)
    if any(line.mme is None for line in lines):
        notes.append(
            "Medications without an MME factor (for example buprenorphine) are listed "
            "but not included in the total."
        )
    return MMETotal(table_.id, table_.source, lines, total, tuple(notes))


@contextmanager
def _at_index(index: int) -> Iterator[None]:
    """Tag an input error with the list position it came from."""
    try:
        yield
    except MMEInputError as error:
        error.index = index
        raise
