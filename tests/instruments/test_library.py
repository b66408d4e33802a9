"""The shipped library: definitions, versions, rendering hints and branching."""

import pytest

from coproduce.instruments.library import UnknownInstrument, get_definition, list_definitions

SHIPPED = {
    "phq9", "gad7", "peg", "pain-nrs", "collaborate", "taper-weekly", "previsit",
    "withdrawal-nrs", "flare",
    "das28-esr", "das28-crp", "cdai", "sdai", "hbi", "pucai",
}  # fmt: skip


def test_it_ships_every_instrument_in_the_issue():
    ids = {d.id for d in list_definitions(include_imported=False)}
    assert ids == SHIPPED


def test_it_gives_every_definition_a_licence_a_citation_and_a_language():
    for definition in list_definitions(include_imported=False):
        assert definition.license, definition.id
        assert definition.citations, definition.id
        assert definition.languages == ("en",)
        assert definition.status == "active"
        assert definition.questionnaire["resourceType"] == "Questionnaire"


def test_it_returns_the_latest_version_when_none_is_asked_for():
    assert get_definition("phq9").version == "1.0"
    assert get_definition("phq9", "1.0") is get_definition("phq9")


@pytest.mark.django_db
def test_it_refuses_unknown_instruments_and_versions():
    with pytest.raises(UnknownInstrument, match="'nope'"):
        get_definition("nope")
    with pytest.raises(UnknownInstrument, match=r"version '9\.9'"):
        get_definition("phq9", "9.9")


def test_it_keeps_the_validated_phq9_wording_and_weights():
    phq9 = get_definition("phq9")
    item9 = phq9.item("phq9-9")
    assert (
        item9.text
        == "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert [(o.display, o.weight) for o in item9.options] == [
        ("Not at all", 0),
        ("Several days", 1),
        ("More than half the days", 2),
        ("Nearly every day", 3),
    ]
    assert phq9.item("phq9-10").weighted is False  # the difficulty item is not scored


def test_it_groups_items_into_pages_for_the_checkin_flow():
    phq9 = get_definition("phq9")
    assert [p.link_id for p in phq9.pages] == ["phq9-screen", "phq9-rest", "phq9-impact"]
    assert [i.link_id for i in phq9.pages[0].items] == ["phq9-1", "phq9-2"]
    assert phq9.pages[0].text.startswith("Over the last 2 weeks")


def test_it_opens_the_rest_of_the_phq9_only_after_a_positive_phq2_when_screening():
    phq9 = get_definition("phq9")
    negative = {"phq9-1": 1, "phq9-2": 1}
    positive = {"phq9-1": 2, "phq9-2": 1}
    asked = [i.link_id for i in phq9.enabled_items(negative, screening=True)]
    assert asked == ["phq9-1", "phq9-2", "phq9-10"]
    asked = [i.link_id for i in phq9.enabled_items(positive, screening=True)]
    assert "phq9-9" in asked
    # Without the screen every item is asked, e.g. for weekly monitoring.
    assert len(phq9.enabled_items(negative)) == 10


def test_it_marks_zero_to_ten_scales_to_render_as_buttons_with_anchors():
    item = get_definition("peg").item("peg-1")
    assert (item.type, item.min_value, item.max_value, item.render) == ("integer", 0, 10, "buttons")
    assert item.anchors == ("No pain", "Pain as bad as you can imagine")
    assert get_definition("collaborate").item("collaborate-1").max_value == 9


def test_it_marks_collaborate_confidential_and_indices_as_clinician_entered():
    assert get_definition("collaborate").confidential is True
    assert get_definition("phq9").confidential is False
    clinician = {
        d.id for d in list_definitions(include_imported=False) if d.audience == "clinician"
    }
    assert clinician == {"das28-esr", "das28-crp", "cdai", "sdai", "hbi", "pucai"}


def test_it_offers_no_current_concern_next_to_free_text_before_a_visit():
    previsit = get_definition("previsit")
    concern = previsit.item("previsit-concern")
    assert concern.text == "What is your number ONE concern or goal for this visit?"
    assert concern.type == "open-choice"
    assert [o.code for o in concern.options] == ["no-concern"]
    assert previsit.item("previsit-topics").text == "What would you like to talk about?"
    assert previsit.item("previsit-partner").text == "How do you like to partner in your care?"
