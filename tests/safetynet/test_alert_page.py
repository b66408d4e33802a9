"""The alert page: how to reach the patient, their answers in words, why it fired, trends."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import AlertStatus
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")


def crisis_alert(world):
    enroll(world.alice)
    world.alice.phone = "+46 70-123 45 67"
    world.alice.preferred_channel = "sms"
    world.alice.save()
    for n in range(4):
        checkin(world.alice, T0 - weeks(4 - n), scores={"peg": 2 + n, "phq9": 6 + n})
    response, scores = checkin(
        world.alice,
        T0,
        scores={"peg": 8, "phq9": 14},
        items={"phq9": {"phq9-9": 1}},
        flags={"phq9": ["phq9_item9_positive"]},
    )
    alerts = evaluate_and_record(response, scores, now=T0).alerts
    return min(alerts, key=lambda a: a.priority), alerts


def page_of(world, alert):
    client = Client()
    client.force_login(world.nina)
    page = client.get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200
    return page.content.decode()


def test_it_offers_the_patients_phone_as_a_tap_to_call_link_and_the_preferred_contact(world):
    alert, _ = crisis_alert(world)
    html = page_of(world, alert)
    assert '<a class="call" href="tel:+46701234567">Call +46 70-123 45 67</a>' in html
    assert re.search(r"<dt>Prefers</dt><dd>\s*(Text message|SMS)", html, re.IGNORECASE)


def test_it_says_what_the_patient_answered_in_words(world):
    alert, _ = crisis_alert(world)
    html = page_of(world, alert)
    assert "<dd>Several days</dd>" in html
    assert 'class="fired"' in html  # the answer that raised the alert stands out
    assert "phq9-9:" not in html  # no raw item codes


def test_it_says_why_the_alert_fired_in_a_plain_sentence_and_hides_the_trace(world):
    alert, _ = crisis_alert(world)
    html = page_of(world, alert)
    why = re.search(r'<p class="why">(.*?)</p>', html, re.S).group(1)
    assert why.startswith("Raised because Alice")
    assert "answered “Several days” to “" in why and "(PHQ-9)" in why
    assert "flag(" not in why and "item(" not in why
    # The engine's trace only inside the staff disclosure.
    trace_at = html.index('<details class="card trace">')
    assert html.index("item(phq9, phq9-9)") > trace_at
    assert html.count("flag(phq9_item9_positive)") == 1


def test_the_actions_come_before_the_answers_and_trends(world):
    alert, _ = crisis_alert(world)
    html = page_of(world, alert)
    assert html.index('id="act-h"') < html.index('id="answers-h"') < html.index('id="trends-h"')


def test_trends_are_small_accessible_charts_with_their_tables_behind_a_disclosure(world):
    alert, _ = crisis_alert(world)
    html = page_of(world, alert)
    charts = re.findall(r'<svg class="trend"[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', html)
    assert len(charts) == 2  # PEG and PHQ-9
    for labels in charts:
        for label in labels.split():
            assert f'id="{label}"' in html
    assert html.count('<details class="as-table">') == 2
    peg_table = html[html.index("Show PEG as a table") :]
    assert peg_table.index('<td class="num">8</td>') < peg_table.index("</table>")


def test_other_alerts_of_the_checkin_are_shown_and_acted_on_together(world):
    alert, alerts = crisis_alert(world)
    assert len(alerts) > 1
    html = page_of(world, alert)
    for other in alerts:
        assert other.reason in html
    assert f"acts on all {len(alerts)} alerts of this check-in" in html


def test_an_alert_without_a_checkin_says_its_reason_as_the_why(world):
    from coproduce.safetynet.jobs import find_silent_patients

    enroll(world.alice)
    [alert] = find_silent_patients(T0)
    html = page_of(world, alert)
    assert re.search(r'<p class="why">Raised because: No check-in for 3 weeks.</p>', html)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


@pytest.mark.parametrize(
    ("reader", "shown"),
    [("en", "Answered in: Spanish"), ("sv", "Svarens språk: Spanska")],
)
def test_it_says_which_language_the_patient_answered_in_in_the_readers_language(
    world, reader, shown
):
    alert, _ = crisis_alert(world)
    alert.response.language = "es"
    alert.response.save(update_fields=["language"])
    world.nina.language = reader
    world.nina.save(update_fields=["language"])
    html = page_of(world, alert)
    assert f'<p class="muted answered-in">{shown}</p>' in html
