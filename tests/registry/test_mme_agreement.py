"""MME is computed in Python (careplans) and in SQL twice (registry measures: raw SQL; the
population list and study screening: an ORM expression). They must agree on every case of
the shipped factor table: each drug, each of its aliases, each unit it takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from coproduce.careplans.medications import current_mme
from coproduce.careplans.mme import ALIASES, DEFAULT_TABLE, MCG_PER_HR, load_table
from coproduce.careplans.models import Medication
from coproduce.people.models import Patient
from coproduce.registry.mme_sql import current_mme_subquery, line_mme_sql
from tests import factories

DAY = dt.date(2026, 3, 2)


def shipped_cases() -> list[tuple[str, str]]:
    table = load_table(DEFAULT_TABLE)
    names = {name: name for name in table.drugs} | dict(ALIASES)
    return sorted(
        (written, unit)
        for written, canonical in names.items()
        if canonical in table.drugs
        for unit in table.drugs[canonical].units
    )


def test_the_cases_cover_every_drug_of_the_table():
    covered = {ALIASES.get(name, name) for name, _unit in shipped_cases()}
    assert covered == set(load_table(DEFAULT_TABLE).drugs)
    assert any(unit == MCG_PER_HR for _name, unit in shipped_cases())


@pytest.mark.parametrize(("drug", "unit"), shipped_cases())
def test_python_orm_and_raw_sql_agree(world, drug, unit):
    patient = factories.make_patient(world.team_a)
    line = Medication.objects.create(
        patient=patient,
        drug=drug.title(),  # as typed: case differs from the table
        strength=Decimal("25") if unit == MCG_PER_HR else Decimal("7.5"),
        unit=unit,
        per_day=None if unit == MCG_PER_HR else Decimal("3"),
        started_on=DAY - dt.timedelta(days=10),
    )
    python = float(current_mme(patient, DAY))
    orm = Patient.objects.annotate(mme=current_mme_subquery(DAY)).get(pk=patient.pk).mme or 0.0
    sql, params = line_mme_sql("m")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM careplans_medication m WHERE m.id = %s",  # noqa: S608
            [*params, line.pk],
        )
        raw = cursor.fetchone()[0] or 0.0
    assert orm == pytest.approx(python, abs=0.01), (drug, unit)
    assert float(raw) == pytest.approx(python, abs=0.01), (drug, unit)
