"""Crisis help by country and language: the one place its texts and numbers live.

This module imports nothing else of coproduce and needs neither the database nor a compiled
catalogue (its texts are here, in every language we ship), so the check-in page can show it
when everything else has failed: the safety net's crisis message, the "not stored" answer
(503), the JSON API and FHIR all take their text from `crisis_text`.

Numbers (checked 2026-12-01; re-check yearly and before adding a country):

- United States: 988 Suicide & Crisis Lifeline, call or text 988; Spanish: call 988 and press
  2, or text AYUDA to 988 (https://988lifeline.org/get-help/what-to-expect: "Spanish-language
  (Press 2)", "Spanish-language (text AYUDA)"); 911 for emergencies.
- Sweden: 112 for emergencies (SOS Alarm); 1177 Vårdguiden, health advice by phone day and
  night (https://www.1177.se/stockholm/om-1177/nar-du-ringer-1177/nar-du-ringer-1177/;
  "Gäller det ett livshotande tillstånd - ring alltid 112"); Mind Självmordslinjen, call 90101
  or chat at mind.se, day and night (http://www.kronprinsessparetsstiftelse.se/projekt/
  sjalvmordsupplysningen.html: "Mind Självmordslinjen Tel 90101").
- Spain: 024, Línea de atención a la conducta suicida (Ministerio de Sanidad), free,
  confidential, 24 hours, with telephone interpreting in other languages
  (https://www.rtve.es/noticias/20220509/sanidad-presenta-telefono-prevencion-suicidio/
  2347183.shtml; https://ondacero.es/noticias/sociedad/
  telefono-atencion-suicidio-recibio-15000-llamadas-primer-mes-funcionamiento_
  2022061062a36debdbf6f2000130de02.html); 112 for emergencies.

The texts need a clinical and a native-speaker review before use (docs/translations.md).
"""

from __future__ import annotations

import re

COUNTRIES = ("SE", "US", "ES")
LANGUAGES = ("en", "es", "sv")
FALLBACK_COUNTRY = "SE"

# Every number we show, per country: the pages turn these (and only these) into tel: links.
NUMBERS = {"US": ("988", "911"), "SE": ("112", "1177", "90101"), "ES": ("024", "112")}

EMERGENCY = {"US": "911", "SE": "112", "ES": "112"}

_OPENING = {
    "en": (
        "You told us you have had thoughts that you would be better off dead, or of hurting "
        "yourself. Thank you for telling us. You are not alone, and help is there right now."
    ),
    "es": (
        "Nos contó que ha tenido pensamientos de que estaría mejor muerto o de hacerse daño. "
        "Gracias por decírnoslo. No está solo, y hay ayuda ahora mismo."
    ),
    "sv": (
        "Du har berättat att du har haft tankar på att det vore bättre om du vore död, eller "
        "på att skada dig själv. Tack för att du berättar det för oss. Du är inte ensam, och "
        "det finns hjälp just nu."
    ),
}

# The country's lines, in the reader's language.
_LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "US": {
        "en": (
            "If you might act on these thoughts or you do not feel safe: call 911 now, or go "
            "to the nearest emergency department.",
            "You can call or text 988 (the Suicide & Crisis Lifeline) at any time, day or "
            "night. For help in Spanish, call 988 and press 2, or text AYUDA to 988.",
        ),
        "es": (
            "Si podría actuar según estos pensamientos o no se siente seguro: llame al 911 "
            "ahora o vaya a la sala de emergencias más cercana.",
            "Puede llamar o enviar un mensaje de texto al 988 (Línea de Prevención del "
            "Suicidio y Crisis) a cualquier hora, de día o de noche. Para ayuda en español, "
            "llame al 988 y oprima 2, o envíe AYUDA por mensaje de texto al 988.",
        ),
        "sv": (
            "Om du kanske kommer att göra något av de här tankarna eller inte känner dig "
            "trygg: ring 911 nu, eller åk till närmaste akutmottagning.",
            "Du kan ringa eller sms:a 988 (Suicide & Crisis Lifeline) när som helst, dag som natt.",
        ),
    },
    "SE": {
        "en": (
            "If you might act on these thoughts or you do not feel safe: call 112 now, or go "
            "to the nearest emergency department.",
            "You can call Mind Självmordslinjen on 90101 at any time, day or night (or chat "
            "at mind.se).",
            "For health advice day and night, call 1177.",
        ),
        "es": (
            "Si podría actuar según estos pensamientos o no se siente seguro: llame al 112 "
            "ahora o vaya a la sala de urgencias más cercana.",
            "Puede llamar a Mind Självmordslinjen al 90101 a cualquier hora, de día o de "
            "noche (o chatear en mind.se).",
            "Para consejos de salud de día y de noche, llame al 1177.",
        ),
        "sv": (
            "Om du kanske kommer att göra något av de här tankarna eller inte känner dig "
            "trygg: ring 112 nu, eller åk till närmaste akutmottagning.",
            "Du kan ringa Mind Självmordslinjen på 90101 när som helst, dygnet runt (eller "
            "chatta på mind.se).",
            "För sjukvårdsrådgivning dygnet runt, ring 1177.",
        ),
    },
    "ES": {
        "en": (
            "If you might act on these thoughts or you do not feel safe: call 112 now, or go "
            "to the nearest emergency department.",
            "You can call 024 (the suicide prevention line) at any time, day or night; it is "
            "free and confidential, and can interpret other languages.",
        ),
        "es": (
            "Si podría actuar según estos pensamientos o no se siente seguro: llame al 112 "
            "ahora o vaya a urgencias del hospital más cercano.",
            "Puede llamar al 024 (Línea de atención a la conducta suicida) a cualquier hora, "
            "de día o de noche; es gratuita y confidencial.",
        ),
        "sv": (
            "Om du kanske kommer att göra något av de här tankarna eller inte känner dig "
            "trygg: ring 112 nu, eller åk till närmaste akutmottagning.",
            "Du kan ringa 024 (den spanska linjen för suicidprevention) när som helst, dygnet "
            "runt; den är gratis och konfidentiell och kan tolka till andra språk.",
        ),
    },
}

_TRUSTED = {
    "en": "Tell someone you trust how you feel, and ask them to stay with you.",
    "es": "Cuéntele a alguien de confianza cómo se siente y pídale que se quede con usted.",
    "sv": "Berätta för någon du litar på hur du mår, och be hen att stanna hos dig.",
}

# What the team knows: told (with the time they will call), not told (not stored), or could
# not be reached. Never say the team was told when it was not.
_TEAM = {
    "told": {
        "en": (
            "Your care team has been told. Someone will contact you within {minutes} minutes "
            "if it is during clinic hours, otherwise first thing the next clinic morning. Do "
            "not wait for us if you feel unsafe."
        ),
        "es": (
            "Ya avisamos a su equipo de atención. Alguien se comunicará con usted en un plazo "
            "de {minutes} minutos si es en horario de la clínica; si no, a primera hora de la "
            "siguiente mañana de la clínica. No nos espere si no se siente seguro."
        ),
        "sv": (
            "Ditt vårdteam har fått veta det. Någon hör av sig till dig inom {minutes} "
            "minuter om det är under mottagningens öppettider, annars först på morgonen nästa "
            "mottagningsdag. Vänta inte på oss om du inte känner dig trygg."
        ),
    },
    "not_sent": {
        "en": (
            "Your care team has NOT been told yet, because your check-in was not sent. Call "
            "your clinic. Do not wait for us if you feel unsafe."
        ),
        "es": (
            "Su equipo de atención TODAVÍA NO lo sabe, porque su cuestionario no se envió. "
            "Llame a su clínica. No nos espere si no se siente seguro."
        ),
        "sv": (
            "Ditt vårdteam har INTE fått veta det ännu, eftersom din incheckning inte "
            "skickades. Ring din mottagning. Vänta inte på oss om du inte känner dig trygg."
        ),
    },
    "not_reached": {
        "en": (
            "We could not alert your care team automatically just now. Please call your "
            "clinic and tell them what you told us here. Do not wait for us if you feel unsafe."
        ),
        "es": (
            "No pudimos avisar a su equipo de atención automáticamente en este momento. Llame "
            "a su clínica y cuénteles lo que nos dijo aquí. No nos espere si no se siente "
            "seguro."
        ),
        "sv": (
            "Vi kunde inte larma ditt vårdteam automatiskt just nu. Ring din mottagning och "
            "berätta det du har berättat för oss här. Vänta inte på oss om du inte känner dig "
            "trygg."
        ),
    },
}

_HEADING = {
    "en": "Help is available right now",
    "es": "Hay ayuda disponible ahora mismo",
    "sv": "Det finns hjälp just nu",
}

# One line for every page of the check-in ("need help now?"), before any answer is given.
_HELP_NOW = {
    "US": {
        "en": "Need help now? Don't wait for a check-in: call your clinic, 988, or 911 in an "
        "emergency.",
        "es": "¿Necesita ayuda ahora? No espere al cuestionario: llame a su clínica, al 988 "
        "(oprima 2 para español) o al 911 en una emergencia.",
        "sv": "Behöver du hjälp nu? Vänta inte på en incheckning: ring din mottagning, 988, "
        "eller 911 i en nödsituation.",
    },
    "SE": {
        "en": "Need help now? Don't wait for a check-in: call your clinic, 1177, or 112 in an "
        "emergency.",
        "es": "¿Necesita ayuda ahora? No espere al cuestionario: llame a su clínica, al 1177 o "
        "al 112 en una emergencia.",
        "sv": "Behöver du hjälp nu? Vänta inte på en incheckning: ring din mottagning, 1177, "
        "eller 112 i en nödsituation.",
    },
    "ES": {
        "en": "Need help now? Don't wait for a check-in: call your clinic, 024, or 112 in an "
        "emergency.",
        "es": "¿Necesita ayuda ahora? No espere al cuestionario: llame a su clínica, al 024 o "
        "al 112 en una emergencia.",
        "sv": "Behöver du hjälp nu? Vänta inte på en incheckning: ring din mottagning, 024, "
        "eller 112 i en nödsituation.",
    },
}


def country_or_default(country: str | None) -> str:
    """`country` if we have crisis help for it, else COPRODUCE_DEFAULT_COUNTRY (else Sweden)."""
    code = (country or "").strip().upper()
    if code in COUNTRIES:
        return code
    try:
        from django.conf import settings

        code = str(getattr(settings, "COPRODUCE_DEFAULT_COUNTRY", "") or "").upper()
    except Exception:  # settings not configured (a script): the built-in fallback
        code = ""
    return code if code in COUNTRIES else FALLBACK_COUNTRY


def language_or_default(language: str | None) -> str:
    """The base language ("es-US" -> "es") if we have texts in it, else English."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "en"


def crisis_text(
    country: str | None,
    language: str | None,
    *,
    team: str = "told",
    minutes: int = 60,
) -> str:
    """The crisis help as plain text: an opening line, then "- " bullet lines.

    `team` is "told" (an urgent alert reached someone; they call within `minutes`),
    "not_sent" (the check-in was not stored) or "not_reached" (nobody could be alerted).
    """
    where, lang = country_or_default(country), language_or_default(language)
    lines = [*_LINES[where][lang], _TRUSTED[lang], _TEAM[team][lang].format(minutes=minutes)]
    return _OPENING[lang] + "\n" + "\n".join(f"- {line}" for line in lines)


def emergency_number(country: str | None) -> str:
    """The emergency number of the country (911, 112)."""
    return EMERGENCY[country_or_default(country)]


def heading(language: str | None) -> str:
    return _HEADING[language_or_default(language)]


def help_now(country: str | None, language: str | None) -> str:
    """The one line every check-in page shows: who to call now."""
    return _HELP_NOW[country_or_default(country)][language_or_default(language)]


ALL_NUMBERS = sorted({n for numbers in NUMBERS.values() for n in numbers}, key=len, reverse=True)
NUMBER_PATTERN = re.compile(r"(?<![\w.])(" + "|".join(ALL_NUMBERS) + r")(?![\w])")


def phone_numbers(text: str) -> list[str]:
    """The crisis numbers that `text` mentions, in order."""
    return NUMBER_PATTERN.findall(text or "")
