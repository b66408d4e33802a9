"""The LHC-Forms round trip: coproduce's Questionnaire rendered and answered in LHC-Forms
(lforms 40, NLM) in chromium, its QuestionnaireResponse posted back to the FHIR server with a
system's bearer token (SMART Backend Services, acting for the patient's nurse), and the same
score as the same answers through coproduce's own check-in service.

lforms comes from the npm registry (`tests/interop/npm/fetch-lforms.sh`, run by .ci/run);
without it the test skips and says how to get it, except in CI (CI=true), where a missing
lforms is a failure (`tests.interop.schema.missing`), as a missing chromium is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from coproduce.interop.fhir import REGISTRY_ID_SYSTEM, SCORE_URL
from tests.interop.conftest import post, submit
from tests.interop.schema import missing
from tests.interop.test_apiclient import _token, bearer, create

LFORMS = Path(__file__).resolve().parents[1] / "interop/npm/vendor/lforms-40.1.3/dist/lforms"
SCRIPTS = (
    "webcomponent/assets/lib/zone.min.js",
    "webcomponent/lhc-forms.js",
    "fhir/lformsFHIRAll.min.js",
)

# What the patient picks, by the option text LHC-Forms shows, and the same as stored codes.
CASES = {
    "phq9": (
        {
            **{f"phq9-{n}": "More than half the days" for n in range(1, 9)},
            "phq9-9": "Not at all",
            "phq9-10": "Somewhat difficult",
        },
        {
            **{f"phq9-{n}": "LA6570-1" for n in range(1, 9)},
            "phq9-9": "LA6568-5",
            "phq9-10": "LA6573-5",
        },
    ),
    "gad7": (
        {f"gad7-{n}": ("Several days" if n % 2 else "Nearly every day") for n in range(1, 8)},
        {f"gad7-{n}": ("LA6569-3" if n % 2 else "LA6571-9") for n in range(1, 8)},
    ),
}


def _score_of(resource: dict) -> float:
    (score,) = [x for x in resource["extension"] if x["url"] == SCORE_URL]
    return next(p["valueDecimal"] for p in score["extension"] if p["url"] == "value")


@pytest.mark.parametrize("instrument", sorted(CASES))
def test_lhc_forms_answers_score_as_coproduces_own_check_in(browser, world, instrument):
    if not (LFORMS / SCRIPTS[1]).exists():
        missing("lforms is not installed: run tests/interop/npm/fetch-lforms.sh (.ci/run does)")
    picks, codes = CASES[instrument]
    system = Client()
    scope = "system/Questionnaire.read system/QuestionnaireResponse.write"
    token = bearer(_token(system, create("forms", user="nina", scope=scope), scope))
    questionnaire = system.get(f"/fhir/R4/Questionnaire/{instrument}", **token).json()

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content("<!doctype html><html lang='en'><body><div id='form'></div></body></html>")
    page.add_style_tag(path=str(LFORMS / "webcomponent/styles.css"))
    for script in SCRIPTS:
        page.add_script_tag(path=str(LFORMS / script))
    page.wait_for_function("() => !!(window.LForms && LForms.Util && LForms.Util.addFormToPage)")
    page.evaluate("q => LForms.Util.addFormToPage(q, 'form', {})", questionnaire)
    for link_id, text in picks.items():
        page.locator(f"[id='{link_id}/1/1']").click()
        page.locator("#lhc-tools-searchResults li", has_text=text).first.click()
    page.screenshot(path=f"var/screenshots/lhc-forms-{instrument}.png", full_page=True)
    exported = page.evaluate(
        "() => LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', "
        "document.getElementById('form'))"
    )
    context.close()
    assert errors == []

    exported["subject"] = {
        "identifier": {"system": REGISTRY_ID_SYSTEM, "value": world.alice.registry_id}
    }
    res = post(system, "/fhir/R4/QuestionnaireResponse", exported, key=f"lhc-{instrument}", **token)
    assert res.status_code == 201, json.dumps(res.json())[:2000]
    assert res.json()["author"]["display"] == "forms"
    own = submit(world.alice, f"own-{instrument}", {instrument: codes})
    assert _score_of(res.json()) == own.scores.get().score
    stored = world.alice.checkin_responses.exclude(pk=own.pk).get()
    assert stored.answers[instrument] == codes
    assert (stored.submitted_by, stored.source) == (world.nina, "fhir-system")
