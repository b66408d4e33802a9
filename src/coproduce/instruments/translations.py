"""An instrument's texts in the reader's language, from one of two sources and never a third.

- **An official translation, inside the Questionnaire.** FHIR's translation extension on a
  text's primitive element (``_title``, ``_text``, an option's ``_display``, an anchor's
  ``_valueString``), copied verbatim from the owner's publication and cited in the file
  (docs/translations.md). An imported Questionnaire keeps these extensions as they came.
- **The project catalogues, for coproduce's own questions only.** A Questionnaire that we
  wrote (not a validated instrument) says so with the extension ``translated-by-catalogue``;
  its texts reach the catalogues through a generated module of gettext_noop calls
  (``coproduce instruments messages``; ``make messages`` runs it).

A validated instrument with neither is not asked in that language (``library.available_in``):
we never write or machine-translate one. Only texts change: codes, weights and scores are the
same in every language.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils import translation

from coproduce.instruments.definitions import ANCHOR_HIGH_URL, ANCHOR_LOW_URL, NS, RECALL_URL
from coproduce.platform.catalogue import noop_module_source

TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
CATALOGUE_URL = NS + "translated-by-catalogue"  # valueBoolean: coproduce's own questions
MESSAGES_MODULE = Path(__file__).parent / "instrument_messages.py"


def base_language(language: str | None) -> str:
    """ "es-US" -> "es"; empty -> "en"."""
    return (language or "en").lower().replace("_", "-").split("-")[0]


def by_catalogue(questionnaire: dict[str, Any]) -> bool:
    """Whether this is one of coproduce's own Questionnaires, translated by the catalogues."""
    return any(
        e.get("url") == CATALOGUE_URL and e.get("valueBoolean") is True
        for e in questionnaire.get("extension", ()) or ()
    )


def _option_slots(option: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    coding = option.get("valueCoding")
    if isinstance(coding, dict) and coding.get("display"):
        yield coding, "display"
    if option.get("valueString"):
        yield option, "valueString"


def _item_slots(item: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    if item.get("text"):
        yield item, "text"
    for option in item.get("answerOption", ()) or ():
        yield from _option_slots(option)
    for extension in item.get("extension", ()) or ():
        if extension.get("url") in (ANCHOR_LOW_URL, ANCHOR_HIGH_URL) and extension.get(
            "valueString"
        ):
            yield extension, "valueString"
    for child in item.get("item", ()) or ():
        yield from _item_slots(child)


def text_slots(questionnaire: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (element, key) holding a text a person reads: title, items, options, anchors."""
    if questionnaire.get("title"):
        yield questionnaire, "title"
    for contained in questionnaire.get("contained", ()) or ():
        if contained.get("resourceType") != "ValueSet":
            continue
        for include in (contained.get("compose") or {}).get("include", ()) or ():
            yield from (
                (c, "display") for c in include.get("concept", ()) or () if c.get("display")
            )
        for c in (contained.get("expansion") or {}).get("contains", ()) or ():
            if c.get("display"):
                yield c, "display"
    for item in questionnaire.get("item", ()) or ():
        yield from _item_slots(item)


def official(element: dict[str, Any], key: str, language: str) -> str | None:
    """The official translation of ``element[key]`` into `language`, if the file has one."""
    primitive = element.get("_" + key) or {}
    for extension in primitive.get("extension", ()) or ():
        if extension.get("url") != TRANSLATION_URL:
            continue
        parts = {e.get("url"): e for e in extension.get("extension", ()) or ()}
        lang, content = parts.get("lang") or {}, parts.get("content") or {}
        if base_language(lang.get("valueCode")) == language and content.get("valueString"):
            return str(content["valueString"])
    return None


def official_languages(questionnaire: dict[str, Any]) -> tuple[str, ...]:
    """The languages every text of the Questionnaire has an official translation into."""
    slots = list(text_slots(questionnaire))
    found: set[str] | None = None
    for element, key in slots:
        langs = {
            base_language(p.get("valueCode"))
            for ext in (element.get("_" + key) or {}).get("extension", ()) or ()
            if ext.get("url") == TRANSLATION_URL
            for p in ext.get("extension", ()) or ()
            if p.get("url") == "lang"
        }
        found = langs if found is None else found & langs
    return tuple(sorted(found or ()))


def translated(questionnaire: dict[str, Any], language: str) -> dict[str, Any]:
    """A copy of the Questionnaire with every text in `language` (official text first)."""
    result = copy.deepcopy(questionnaire)
    catalogue = by_catalogue(questionnaire)
    with translation.override(language):
        for element, key in text_slots(result):
            text = official(element, key, language)
            if text is None and catalogue:
                text = translation.gettext(str(element[key]))
            if text is not None:
                element[key] = text
    return result


def catalogue_texts(questionnaires: list[dict[str, Any]]) -> list[str]:
    """Every text of coproduce's own Questionnaires, and every instrument's recall period
    (coproduce's words about it, e.g. "the last 2 weeks"), for the catalogues."""
    texts: set[str] = set()
    for questionnaire in questionnaires:
        if by_catalogue(questionnaire):
            texts.update(str(element[key]) for element, key in text_slots(questionnaire))
        for extension in questionnaire.get("extension", ()) or ():
            if extension.get("url") == RECALL_URL and extension.get("valueString"):
                texts.add(str(extension["valueString"]))
    return sorted(texts)


def messages_module_source(questionnaires: list[dict[str, Any]]) -> str:
    return noop_module_source(
        "`coproduce instruments messages` from the library",
        "coproduce's own check-in questions (not validated instruments).",
        "INSTRUMENT_TEXTS",
        catalogue_texts(questionnaires),
    )
