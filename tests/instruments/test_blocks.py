"""The unscored weekly taper and pre-visit blocks."""

from coproduce.instruments.scoring import score


def test_it_accepts_a_weekly_taper_checkin_without_a_score():
    answers = {"taper-comfort": 6, "taper-satisfaction": "satisfied", "taper-note": "Slept badly."}
    result = score("taper-weekly", "1.0", answers)
    assert (result.score, result.complete, result.reason) == (None, True, None)
    assert result.item_values == {"taper-comfort": 6}


def test_it_says_which_required_taper_answers_are_missing():
    result = score("taper-weekly", "1.0", {"taper-note": "ok"})
    assert result.complete is False
    assert result.reason == "Not answered: taper-comfort, taper-satisfaction."


def test_it_takes_no_current_concern_or_free_text_as_the_one_concern():
    assert score("previsit", "1.0", {"previsit-concern": "no-concern"}).complete
    result = score(
        "previsit",
        "1.0",
        {"previsit-concern": "My knee pain at night", "previsit-topics": ["pain", "Driving"]},
    )
    assert result.complete is True


def test_it_needs_the_one_concern_before_a_visit():
    result = score("previsit", "1.0", {"previsit-partner": "together"})
    assert result.complete is False and "previsit-concern" in result.reason
