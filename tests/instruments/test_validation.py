"""Answers that are out of range, of the wrong type or for another version are refused."""

import pytest

from coproduce.instruments.library import get_definition
from coproduce.instruments.scoring import InvalidResponse, score, validate_answers
from tests.instruments.conftest import phq9


def refused(instrument, answers):
    with pytest.raises(InvalidResponse) as caught:
        score(instrument, "1.0", answers)
    return caught.value


def test_it_refuses_a_weight_out_of_range_naming_the_item():
    error = refused("phq9", phq9(1, 4))
    assert error.link_id == "phq9-2"
    assert "Feeling down, depressed, or hopeless" in str(error)
    assert "weight from 0 to 3" in str(error)


def test_it_refuses_an_unknown_option_code():
    error = refused("phq9", {"phq9-1": "sometimes"})
    assert error.link_id == "phq9-1" and "'sometimes'" in error.message


def test_it_refuses_an_unknown_link_id_naming_the_version():
    error = refused("phq9", {"phq9-11": 1})
    assert str(error) == "phq9-11: no such question in phq9 version 1.0"


def test_it_refuses_answers_for_another_version():
    error = refused("phq9", {**phq9(1, 1), "_version": "2.0"})
    assert error.link_id == "_version"
    assert "version 2.0, not version 1.0" in error.message


def test_it_refuses_the_wrong_type():
    assert refused("peg", {"peg-1": "a lot"}).link_id == "peg-1"
    assert refused("peg", {"peg-1": 4.5}).link_id == "peg-1"
    assert refused("peg", {"peg-1": True}).link_id == "peg-1"
    assert refused("das28-esr", {"esr": "fast"}).link_id == "esr"
    assert refused("hbi", {"arthralgia": "maybe"}).link_id == "arthralgia"
    assert refused("taper-weekly", {"taper-note": 5}).link_id == "taper-note"
    assert refused("phq9", {"phq9-1": [1, 2]}).link_id == "phq9-1"


def test_it_refuses_numbers_outside_the_item_range():
    error = refused("peg", {"peg-1": 11})
    assert "whole number from 0 to 10; got 11" in error.message
    assert refused("das28-esr", {"tjc28": 29}).link_id == "tjc28"
    assert "from 1 to 200" in refused("das28-esr", {"esr": 0}).message


def test_it_refuses_a_response_that_is_not_an_object():
    with pytest.raises(InvalidResponse, match="object mapping linkId"):
        score("phq9", "1.0", [1, 2, 3])


def test_it_cleans_codes_weights_and_csv_strings_to_one_form():
    cleaned = validate_answers(
        get_definition("phq9"), {"phq9-1": 2, "phq9-2": "LA6571-9", "phq9-3": "1", "phq9-4": ""}
    )
    assert cleaned == {"phq9-1": "LA6570-1", "phq9-2": "LA6571-9", "phq9-3": "LA6569-3"}
    cleaned = validate_answers(get_definition("hbi"), {"arthralgia": "yes", "liquid_stools": "3"})
    assert cleaned == {"arthralgia": True, "liquid_stools": 3}
