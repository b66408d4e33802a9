"""Daily MME from the CDC 2022 and legacy factor tables (coproduce.careplans.mme)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coproduce.careplans import mme
from coproduce.careplans.mme import (
    InvalidStrengthError,
    MMEInputError,
    PerDayError,
    UnitMismatchError,
    UnknownDrugError,
    UnknownFactorTableError,
    daily_mme,
    load_table,
    total_mme,
)

D = Decimal

# CDC 2022 guideline (MMWR RR-71(3)) conversion table, as listed in CLINICAL.md.
CDC_2022_FACTORS = {
    "codeine": "0.15",
    "hydrocodone": "1.0",
    "hydromorphone": "5.0",
    "methadone": "4.7",
    "morphine": "1.0",
    "oxycodone": "1.5",
    "oxymorphone": "3.0",
    "tapentadol": "0.4",
    "tramadol": "0.2",
}


@pytest.mark.parametrize(("drug", "factor"), sorted(CDC_2022_FACTORS.items()))
def test_it_uses_the_cdc_2022_factor_for_each_oral_drug(drug, factor):
    result = daily_mme(drug, 10, "mg", 2)
    assert result.factor == D(factor)
    assert result.mme == D(20) * D(factor)


def test_it_scores_a_75_mcg_per_hour_fentanyl_patch_as_180_mme():
    result = daily_mme("fentanyl", 75, "mcg/hr")
    assert result.factor == D("2.4")
    assert result.mme == 180
    assert result.per_day is None


def test_it_scores_the_cdc_worked_examples():
    # CDC 2022 table footnote: hydrocodone 5 mg four times a day = 20 MME;
    # oxycodone ER 10 mg twice a day = 30 MME.
    assert daily_mme("hydrocodone", 5, "mg", 4).mme == 20
    assert daily_mme("oxycodone", 10, "mg", 2).mme == 30


def test_it_flags_methadone_for_special_care():
    result = daily_mme("methadone", 10, "mg", 2)
    assert result.mme == D("94.0")
    assert result.note.startswith("Methadone: special care")
    assert "half-life" in result.note
    assert "underestimates risk" in result.note


def test_it_shows_buprenorphine_without_mme_and_explains_why():
    result = daily_mme("buprenorphine", 8, "mg", 2)
    assert result.mme is None
    assert result.factor is None
    assert "partial agonist" in result.note


def test_it_accepts_a_buprenorphine_patch_in_mcg_per_hour():
    result = daily_mme("Buprenorphine patch", 10, "mcg/hr")
    assert result.drug == "buprenorphine"
    assert result.mme is None


def test_it_leaves_buprenorphine_out_of_the_total_but_lists_it():
    result = total_mme(
        [
            {"drug": "oxycodone", "strength": 10, "unit": "mg", "per_day": 3},
            {"drug": "buprenorphine", "strength": 8, "unit": "mg", "per_day": 1},
        ]
    )
    assert result.total_mme == 45
    assert [line.drug for line in result.medications] == ["oxycodone", "buprenorphine"]
    assert any("not included in the total" in note for note in result.notes)


def test_it_says_in_every_total_that_mme_is_not_a_conversion():
    result = total_mme([{"drug": "morphine", "strength": 15, "unit": "mg", "per_day": 2}])
    assert result.notes[0] == mme.NOT_A_CONVERSION_NOTE
    assert "not a conversion between opioids" in result.notes[0]


def test_it_offers_no_function_that_converts_one_opioid_into_another():
    public = [name for name in dir(mme) if not name.startswith("_")]
    assert not [name for name in public if "convert" in name.lower() or "equi" in name.lower()]


def test_it_names_the_table_that_produced_a_total():
    result = total_mme([{"drug": "morphine", "strength": 15, "unit": "mg", "per_day": 2}])
    assert result.table_id == "cdc-2022"
    assert "RR-3" in result.table_source


@pytest.mark.parametrize(
    "name", ["Oxycodone", "OXYCODONE HCL", "oxycodone  hydrochloride", " oxycodone "]
)
def test_it_accepts_common_names_case_insensitively(name):
    assert daily_mme(name, 5, "mg", 4).drug == "oxycodone"


@pytest.mark.parametrize("name", ["percocet", "oxy", "oxycontin", "heroin", ""])
def test_it_rejects_names_outside_the_small_alias_list(name):
    with pytest.raises(UnknownDrugError, match="unknown drug"):
        daily_mme(name, 5, "mg", 4)


def test_it_rejects_fentanyl_in_mg():
    with pytest.raises(UnitMismatchError, match=r"fentanyl transdermal: unit mg does not fit"):
        daily_mme("fentanyl", 25, "mg", 1)


def test_it_rejects_oxycodone_in_mcg_per_hour():
    with pytest.raises(UnitMismatchError, match=r"oxycodone: .*expected mg"):
        daily_mme("oxycodone", 10, "mcg/hr")


def test_it_rejects_an_unknown_unit():
    with pytest.raises(UnitMismatchError, match="unknown unit 'tablets'"):
        daily_mme("morphine", 10, "tablets", 2)


@pytest.mark.parametrize("strength", [0, -5, "0", "abc", None, True, float("nan")])
def test_it_rejects_a_strength_that_is_not_a_positive_number(strength):
    with pytest.raises(InvalidStrengthError, match="morphine: strength"):
        daily_mme("morphine", strength, "mg", 2)


def test_it_requires_per_day_for_oral_drugs():
    with pytest.raises(PerDayError, match="oxycodone: per_day is missing"):
        daily_mme("oxycodone", 10, "mg")


@pytest.mark.parametrize("per_day", [0, -1])
def test_it_rejects_per_day_that_is_not_positive(per_day):
    with pytest.raises(PerDayError, match="greater than zero"):
        daily_mme("oxycodone", 10, "mg", per_day)


def test_it_rejects_per_day_for_a_patch():
    with pytest.raises(PerDayError, match="does not apply to a patch"):
        daily_mme("fentanyl", 25, "mcg/hr", 1)


def test_its_input_errors_are_value_errors_naming_the_field():
    with pytest.raises(ValueError) as caught:
        daily_mme("codeine", -1, "mg", 4)
    assert isinstance(caught.value, MMEInputError)
    assert caught.value.field == "strength"
    assert caught.value.drug == "codeine"


def test_it_tags_an_error_in_a_list_with_its_position():
    with pytest.raises(PerDayError) as caught:
        total_mme(
            [
                {"drug": "morphine", "strength": 10, "unit": "mg", "per_day": 2},
                {"drug": "oxycodone", "strength": 10, "unit": "mg"},
            ]
        )
    assert caught.value.index == 1


def test_it_rejects_an_unknown_table():
    with pytest.raises(UnknownFactorTableError, match="cdc-1999"):
        load_table("cdc-1999")


def test_it_does_not_read_files_outside_the_table_folder():
    with pytest.raises(UnknownFactorTableError):
        load_table("../../settings")


def test_each_table_carries_its_source_version_and_date():
    for table_id in mme.available_tables():
        table = load_table(table_id)
        assert table.id == table_id
        assert table.source and table.version and table.published and table.url
        assert table.drugs["buprenorphine"].factor is None
        assert table.drugs["buprenorphine"].explanation


# Legacy CDC analytic factors: methadone tiers and hydromorphone 4 (CLINICAL.md).


def test_the_legacy_table_uses_hydromorphone_4():
    assert daily_mme("hydromorphone", 2, "mg", 4, table="cdc-analytic-legacy").mme == 32


@pytest.mark.parametrize(
    ("mg_per_day", "factor"),
    [
        ("20", 4),
        ("20.5", 8),
        ("21", 8),
        ("40", 8),
        ("41", 10),
        ("60", 10),
        ("61", 12),
        ("120", 12),
    ],
)
def test_the_legacy_table_tiers_methadone_by_daily_dose(mg_per_day, factor):
    result = daily_mme("methadone", mg_per_day, "mg", 1, table="cdc-analytic-legacy")
    assert result.factor == factor
    assert result.mme == D(mg_per_day) * factor


def test_the_legacy_methadone_tier_uses_the_total_methadone_dose_across_lines():
    # 15 mg + 10 mg = 25 mg/day: tier 8 for both lines, not tier 4 for each.
    result = total_mme(
        [
            {"drug": "methadone", "strength": 15, "unit": "mg", "per_day": 1},
            {"drug": "methadone", "strength": 5, "unit": "mg", "per_day": 2},
        ],
        table="cdc-analytic-legacy",
    )
    assert [line.factor for line in result.medications] == [8, 8]
    assert result.total_mme == 200


# Properties.

positive = st.decimals(min_value=D("0.1"), max_value=D(1000), places=1)
drugs = st.sampled_from(sorted(CDC_2022_FACTORS))


@given(drugs, positive, positive, st.integers(min_value=1, max_value=12))
def test_mme_never_falls_when_strength_rises(drug, a, b, per_day):
    low, high = sorted((a, b))
    assert daily_mme(drug, low, "mg", per_day).mme <= daily_mme(drug, high, "mg", per_day).mme


@given(drugs, positive, st.integers(min_value=1, max_value=12), st.integers(1, 12))
def test_mme_never_falls_when_doses_per_day_rise(drug, strength, a, b):
    low, high = sorted((a, b))
    assert daily_mme(drug, strength, "mg", low).mme <= daily_mme(drug, strength, "mg", high).mme


line = st.one_of(
    st.builds(
        lambda d, s, n: {"drug": d, "strength": s, "unit": "mg", "per_day": n},
        st.sampled_from([*CDC_2022_FACTORS, "buprenorphine"]),
        positive,
        st.integers(min_value=1, max_value=6),
    ),
    st.builds(
        lambda s: {"drug": "fentanyl", "strength": s, "unit": "mcg/hr"},
        st.sampled_from([12, 25, 50, 75, 100]),
    ),
)


@given(st.lists(line, min_size=1, max_size=6))
def test_the_total_is_the_sum_of_the_lines_that_have_an_mme(meds):
    result = total_mme(meds)
    parts = [r.mme for r in result.medications if r.drug != "buprenorphine"]
    assert all(part is not None for part in parts)
    assert result.total_mme == sum(parts, D(0))
    assert all(r.mme is None for r in result.medications if r.drug == "buprenorphine")
