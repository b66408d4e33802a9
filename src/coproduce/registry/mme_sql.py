"""Daily MME of medication lines as SQL, from the factor table `careplans` uses.

`careplans.services.current_mme` scores one patient in Python; the registry needs the same
figure for thousands of patients at once, so the factors are turned into a CASE expression
(parameters, never interpolated text). Tests compare both on the same medication lists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from django.db.models import Case, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast

from coproduce.careplans.mme import ALIASES, DEFAULT_TABLE, MCG_PER_HR, load_table
from coproduce.careplans.models import Medication


@lru_cache(maxsize=1)
def flat_factors() -> tuple[tuple[str, float], ...]:
    """(lower-case drug name or alias, factor) for every drug with a flat factor.

    `current_mme` scores with the default table, which has no dose-tiered drugs; drugs
    without a factor (buprenorphine) are left out, so their lines count as no MME.
    """
    table = load_table(DEFAULT_TABLE)
    factors: dict[str, Decimal] = {
        name: entry.factor for name, entry in table.drugs.items() if entry.factor is not None
    }
    if any(entry.tiers for entry in table.drugs.values()):
        raise NotImplementedError("dose-tiered factors are not supported in SQL")
    for alias, name in ALIASES.items():
        if name in factors:
            factors[alias] = factors[name]
    return tuple(sorted((name, float(f)) for name, f in factors.items()))


def line_mme_sql(alias: str = "m") -> tuple[str, list]:
    """Return (SQL, params) for one medication row's daily MME (NULL: no factor)."""
    factors = flat_factors()
    whens = " ".join("WHEN %s THEN %s" for _ in factors)
    sql = (
        f"((CASE LOWER({alias}.drug) {whens} END) * "
        f"(CASE WHEN {alias}.unit = %s THEN {alias}.strength "
        f"ELSE {alias}.strength * {alias}.per_day END))"
    )
    params: list = [v for pair in factors for v in pair]
    return sql, [*params, MCG_PER_HR]


def line_mme_expression():
    """The same daily MME of a `Medication` row as an ORM expression."""
    factor = Case(
        *[When(Q(drug__iexact=name), then=Value(f)) for name, f in flat_factors()],
        default=None,
        output_field=FloatField(),
    )
    strength = Cast("strength", FloatField())
    daily = Case(
        When(unit=MCG_PER_HR, then=strength),
        default=strength * Cast(F("per_day"), FloatField()),
        output_field=FloatField(),
    )
    return factor * daily


def current_mme_subquery(day: dt.date, patient_ref: str = "pk") -> Subquery:
    """Total daily MME of the opioid lines active on `day`, per outer patient (NULL: none)."""
    lines = (
        Medication.objects.filter(
            patient=OuterRef(patient_ref), is_opioid=True, started_on__lte=day
        )
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gt=day))
        .order_by()
        .values("patient")
        .annotate(total=Sum(line_mme_expression()))
        .values("total")
    )
    return Subquery(lines, output_field=FloatField())
