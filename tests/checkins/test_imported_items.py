"""Every R4 item type of an imported Questionnaire gets its own input and a valid answer."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from coproduce.checkins.models import CheckinResponse, Score
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.instruments.library import forget_imported
from coproduce.instruments.services import import_questionnaire
from coproduce.interop.fhir import questionnaire_responses
from coproduce.platform import clock
from tests.instruments.conftest import EXTERNAL

pytestmark = pytest.mark.django_db
INPUT = re.compile(r'<input type="([a-z-]+)" id="in-([^"]+)"')


@pytest.fixture(autouse=True)
def _forget():
    yield
    forget_imported()


def real(name):
    return json.loads((EXTERNAL / name).read_text())


def everything():
    """lforms' "Bit of everything" without the items coproduce refuses: attachment, reference
    and choices over value sets on a terminology server."""
    data = real("lforms-R4-bit-of-everything.json")
    root = data["item"][0]
    root["item"] = [
        i
        for i in root["item"]
        if i["type"] not in ("attachment", "reference")
        and not (i["type"] == "choice" and "answerValueSet" in i)
    ]
    return data


def open_checkin(patient, instrument_id):
    inv = on_demand(patient, [instrument_id], now=clock.now() - dt.timedelta(minutes=1))
    return inv, issue_token(inv, purpose="invitation")


def fill(client, token, answers):
    """Answer every page that asks one of ``answers``; return the review page's HTML."""
    number = 1
    while True:
        page = client.get(f"/c/{token}/{number}/")
        html = page.content.decode()
        if "Check your answers" in html and 'name="action"' not in html:
            return html
        posted = {k: v for k, v in answers.items() if f'name="{k}"' in html}
        reply = client.post(f"/c/{token}/{number}/", {**posted, "action": "next"})
        assert reply.status_code == 302, reply.content.decode()
        number += 1


def test_it_gives_each_r4_type_its_own_input(client, world):
    import_questionnaire(everything(), instrument_id="everything")
    _, token = open_checkin(world.alice, "everything")
    inputs = {}
    for number in (1, 2, 3, 4):
        inputs.update(
            {
                lid: kind
                for kind, lid in INPUT.findall(client.get(f"/c/{token}/{number}/").content.decode())
            }
        )
    assert inputs == {
        "Item-string": "text",
        "Item-date": "date",
        "Item-datetime": "datetime-local",
        "Item-time": "time",
        "Item-integer": "number",
        "Item-decimal": "number",
        "Item-url": "url",
        "Item-quantity": "number",
        "Item12": "text",  # open-choice over a terminology server: free text
    }


def test_it_stores_typed_dates_times_and_quantities_as_valid_fhir(client, world):
    import_questionnaire(everything(), instrument_id="everything")
    inv, token = open_checkin(world.alice, "everything")
    review = fill(
        client,
        token,
        {
            "Item-string": "hello",
            "Item-text": "longer",
            "Item-bool": "true",
            "Item-date": "2026-03-05",
            "Item-datetime": "2026-03-05T14:30",
            "Item-time": "14:30",
            "Item-integer": "7",
            "Item-decimal": "72.5",
            "Item-url": "https://example.org/diary",
            "Item-quantity": "180",
            "Item-quantity__unit": "cm",
            "Item12": "Sweden",
        },
    )
    date_row = review.split("<dt>date</dt>")[1].split("</dd>")[0]
    assert "2026-03-05" in date_row and "Skipped" not in date_row
    assert "180 centimeters" in review, review.split("<dt>quantity</dt>")[1][:300]
    assert client.post(f"/c/{token}/send/").status_code == 302
    answers = CheckinResponse.objects.get(invitation=inv).answers["everything"]
    assert answers["Item-date"] == "2026-03-05"
    assert answers["Item-time"] == "14:30:00"
    local = timezone.localtime(dt.datetime.fromisoformat(answers["Item-datetime"]))
    assert (local.hour, local.minute) == (14, 30) and local.tzinfo is not None
    assert answers["Item-decimal"] == 72.5
    quantity = answers["Item-quantity"]
    assert quantity["value"] == 180 and quantity["unit"]
    assert answers["Item-url"] == "https://example.org/diary"
    (qr,) = questionnaire_responses(CheckinResponse.objects.get(invitation=inv))
    QuestionnaireResponse.model_validate(qr)


def test_it_tells_a_wrong_date_instead_of_skipping_it(client, world):
    import_questionnaire(everything(), instrument_id="everything")
    _, token = open_checkin(world.alice, "everything")
    page = fill_page_with(client, token, "Item-date", "5 March")
    assert page.status_code == 400
    assert "needs a date (YYYY-MM-DD); got &#x27;5 March&#x27;" in page.content.decode()


def fill_page_with(client, token, name, value):
    for number in (1, 2, 3, 4):
        if f'name="{name}"' in client.get(f"/c/{token}/{number}/").content.decode():
            return client.post(f"/c/{token}/{number}/", {name: value, "action": "next"})
    raise AssertionError(f"no page asks {name}")


def test_it_offers_only_the_integer_options_and_refuses_others(client, world):
    import_questionnaire(real("lforms-R4-answerOption-valueInteger.R4.json"), instrument_id="ints")
    _, token = open_checkin(world.alice, "ints")
    html = client.get(f"/c/{token}/1/").content.decode()
    assert [v for v in re.findall(r'name="valueInteger-group1-item1" value="(\d+)"', html)] == [
        "12",
        "34",
        "56",
    ]
    page = client.post(f"/c/{token}/1/", {"valueInteger-group1-item1": "1", "action": "next"})
    assert page.status_code == 400 and "is not one of 12, 34, 56" in page.content.decode()


def test_it_scores_an_integer_option_by_its_weight_not_its_position(world):
    """lforms group 4 gives 12/34/56 the ordinal values 1/2/3."""
    from coproduce.instruments.scoring import InvalidResponse, score

    import_questionnaire(real("lforms-R4-answerOption-valueInteger.R4.json"), instrument_id="ints")
    result = score("ints", None, {"valueInteger-group4-item1": 34})
    assert result.item_values["valueInteger-group4-item1"] == 2
    with pytest.raises(InvalidResponse, match="is not one of 12, 34, 56"):
        score("ints", None, {"valueInteger-group4-item1": 1})


def test_it_computes_the_bmi_of_the_sdc_example_and_shows_it_on_the_review(client, world):
    import_questionnaire(real("sdc-profile-example-weight-height.json"), instrument_id="sdc-wh")
    inv, token = open_checkin(world.alice, "sdc-wh")
    html = client.get(f"/c/{token}/1/").content.decode()
    assert 'name="/39156-5"' not in html  # calculated, not asked
    review = fill(client, token, {"/29463-7": "70", "/8302-2": "69"})  # lb and inches
    # SDC: weight / (height * 0.0254)^2 rounded to 1 decimal: 70 / 1.7526^2 = 22.8
    assert "22.8" in review and "(calculated from your answers)" in review
    client.post(f"/c/{token}/send/")
    response = CheckinResponse.objects.get(invitation=inv)
    assert response.answers["sdc-wh"]["/39156-5"] == 22.8
    assert float(Score.objects.get(response=response).score) == 22.8


def test_it_asks_what_a_calculated_score_opens(client, world):
    """lforms: the interpretation shown depends on fruitScore, a FHIRPath total (>= 4 positive)."""
    import_questionnaire(real("lforms-R4-enableWhenOnCalculatedValueFromFHIRPath.json"),
                         instrument_id="fruit")  # fmt: skip
    _, token = open_checkin(world.alice, "fruit")
    fruits = ["Q1apples", "Q2berries", "Q3cherries", "Q4dates", "Q5figs"]
    yes, no = "LA33-6", "LA32-8"
    client.post(f"/c/{token}/1/", {f: yes for f in fruits[:4]} | {"action": "next"})
    client.post(f"/c/{token}/2/", {"Q5figs": no, "action": "next"})
    html = client.get(f"/c/{token}/3/").content.decode()
    assert "posResultInterpretation" not in html  # read-only: shown, never asked
    from coproduce.instruments.library import get_definition
    from coproduce.instruments.scoring import with_calculated

    definition = get_definition("fruit")
    answers = with_calculated(definition, {f: yes for f in fruits[:4]} | {"Q5figs": no})
    assert answers["fruitScore"] == 4
    assert definition.is_enabled(definition.item("posResultInterpretation"), answers)
    assert not definition.is_enabled(definition.item("negResultInterpretation"), answers)
