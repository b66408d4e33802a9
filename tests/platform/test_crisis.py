"""Crisis help by country and language, from a module that needs nothing else of coproduce."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coproduce.platform import crisis

NUMBERS = {"US": ["988", "911"], "SE": ["112", "90101", "1177"], "ES": ["024", "112"]}


def test_the_crisis_module_imports_nothing_else_of_coproduce():
    tree = ast.parse(Path(crisis.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("coproduce")]


@pytest.mark.parametrize("country", crisis.COUNTRIES)
@pytest.mark.parametrize("language", crisis.LANGUAGES)
def test_every_country_and_language_has_its_numbers(country, language):
    for team in ("told", "not_sent", "not_reached"):
        text = crisis.crisis_text(country, language, team=team)
        assert all(n in crisis.phone_numbers(text) for n in NUMBERS[country]), (country, language)
    assert crisis.phone_numbers(crisis.help_now(country, language))


def test_the_us_lines_in_spanish_say_how_to_reach_a_spanish_speaker():
    text = crisis.crisis_text("US", "es-US")
    assert "oprima 2" in text and "AYUDA" in text and "911" in text


def test_a_site_without_a_country_uses_the_default(settings):
    settings.COPRODUCE_DEFAULT_COUNTRY = "US"
    assert "988" in crisis.crisis_text("", "en")
    assert "988" in crisis.crisis_text("XX", "fi")  # unknown language: English


def test_it_never_says_the_team_was_told_when_it_was_not():
    for language, words in (("en", "NOT"), ("es", "TODAVÍA NO"), ("sv", "INTE")):
        assert words in crisis.crisis_text("SE", language, team="not_sent")
