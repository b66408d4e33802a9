"""An instrument's texts in the reader's language: official translations carried in the
Questionnaire (FHIR's translation extension, kept through an import), our own questions from
the catalogues, and the same codes, weights and scores in every language."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from coproduce.instruments.library import available_in, get_definition
from coproduce.instruments.scoring import score
from coproduce.instruments.services import import_questionnaire
from coproduce.instruments.translations import TRANSLATION_URL

pytestmark = pytest.mark.django_db

WEIGHT = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def _translated(text: str, **by_language: str) -> dict:
    """FHIR's translation extension on a primitive: {"extension": [{lang, content}, ...]}."""
    return {
        "extension": [
            {
                "url": TRANSLATION_URL,
                "extension": [
                    {"url": "lang", "valueCode": lang},
                    {"url": "content", "valueString": content},
                ],
            }
            for lang, content in by_language.items()
        ]
    }


def _option(code: str, display: str, weight: int, es: str) -> dict:
    return {
        "valueCoding": {
            "system": "urn:example:answers",
            "code": code,
            "display": display,
            "_display": _translated(display, **{"es-US": es}),
        },
        "extension": [{"url": WEIGHT, "valueDecimal": weight}],
    }


# A made-up two-item scale (not a validated instrument: its "official" Spanish is a fixture).
QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "id": "fixture-scale",
    "version": "1.0",
    "status": "active",
    "language": "en",
    "title": "Fixture scale",
    "_title": _translated("Fixture scale", es="Escala de prueba"),
    "item": [
        {
            "linkId": f"q{n}",
            "type": "choice",
            "required": True,
            "text": f"Fixture question {n}",
            "_text": _translated(f"Fixture question {n}", es=f"Pregunta de prueba {n}"),
            "answerOption": [
                _option("never", "Never", 0, "Nunca (prueba)"),
                _option("often", "Often", 2, "A menudo (prueba)"),
            ],
        }
        for n in (1, 2)
    ],
}


def test_it_keeps_an_imported_questionnaires_official_translation_and_asks_it_in_spanish():
    row = import_questionnaire(QUESTIONNAIRE)
    assert row.questionnaire["item"][0]["_text"]["extension"][0]["url"] == TRANSLATION_URL
    assert available_in("fixture-scale", "es-US") and available_in("fixture-scale", "es")
    assert not available_in("fixture-scale", "sv")  # no official Swedish: not asked in Swedish
    with translation.override("es"):
        definition = get_definition("fixture-scale")
    assert definition.title == "Escala de prueba"
    assert [i.text for i in definition.items] == ["Pregunta de prueba 1", "Pregunta de prueba 2"]
    assert [o.display for o in definition.items[0].options] == [
        "Nunca (prueba)",
        "A menudo (prueba)",
    ]
    # The stored Questionnaire is not rewritten: its English and its extensions stay.
    assert definition.questionnaire["item"][0]["text"] == "Fixture question 1"
    with translation.override("sv"):
        assert get_definition("fixture-scale").items[0].text == "Fixture question 1"


def test_the_same_answers_score_the_same_in_every_language():
    import_questionnaire(QUESTIONNAIRE)
    answers = {"q1": "often", "q2": "never"}
    results = {}
    for language in ("en", "es", "sv"):
        with translation.override(language):
            result = score("fixture-scale", None, answers)
            withdrawal = score("withdrawal-nrs", None, {"withdrawal-nrs": 7})
        results[language] = (result.to_dict(), withdrawal.to_dict())
    assert results["en"] == results["es"] == results["sv"]
    assert results["en"][0]["score"] == 2 and results["en"][1]["score"] == 7


@pytest.mark.parametrize(
    ("language", "question", "low"),
    [
        ("es", "¿Qué tan cómodo/a se siente con su dosis actual", "Nada cómodo/a"),
        ("sv", "Hur bekväm känner du dig med din nuvarande dos", "Inte alls bekväm"),
    ],
)
def test_our_own_questions_read_in_the_catalogues_language(language, question, low):
    assert available_in("taper-weekly", language) and available_in("withdrawal-nrs", language)
    with translation.override(language):
        comfort = get_definition("taper-weekly").item("taper-comfort")
        satisfaction = get_definition("taper-weekly").item("taper-satisfaction")
    assert comfort.text.startswith(question) and comfort.anchors[0] == low
    # Codes are the stored answers: they never change with the language.
    assert satisfaction.options[0].code == "very-dissatisfied"


@pytest.mark.parametrize("instrument", ["phq9", "gad7", "peg"])
@pytest.mark.parametrize("language", ["es", "sv"])
def test_a_validated_instrument_without_an_official_text_is_not_asked(instrument, language):
    assert not available_in(instrument, language)
    with translation.override("en"):
        english = get_definition(instrument).item_map
    with translation.override(language):  # staff reading in Spanish see the English original
        shown = get_definition(instrument).item_map
    assert {k: i.text for k, i in shown.items()} == {k: i.text for k, i in english.items()}


def test_the_import_command_keeps_the_translation_extensions(tmp_path):
    file = tmp_path / "fixture-scale.json"
    file.write_text(json.dumps(QUESTIONNAIRE), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("instruments", "import", str(file), stdout=out, stderr=err)
    assert "imported fixture-scale version 1.0" in out.getvalue() and not err.getvalue()
    assert available_in("fixture-scale", "es")
    with translation.override("es-us"):
        assert get_definition("fixture-scale").items[1].text == "Pregunta de prueba 2"
