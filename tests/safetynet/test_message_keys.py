"""Stored safety-net texts are keys with parameters, shown in the reader's language."""

from __future__ import annotations

from django.utils import translation

from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.texts import number_text
from tests.safetynet.factories import checkin, enroll


def test_a_spanish_patients_message_reads_in_english_to_the_nurse(staffed):
    alice = staffed.alice
    alice.preferred_language = "es"
    alice.save()
    response, scores = checkin(alice, scores={"phq9": 14}, items={"phq9": {"phq9-9": 2}})
    outcome = evaluate_and_record(response, scores)
    message, alert = outcome.messages[0], outcome.alerts[0]
    message.refresh_from_db()
    with translation.override("es"):
        assert message.shown["acknowledge"].startswith("Gracias por contarnos")
        assert "PHQ-9 pregunta 9" in alert.reason_shown
    with translation.override("en"):
        assert message.shown["acknowledge"].startswith("Thank you for telling us")
        assert alert.reason_shown.startswith("PHQ-9 item 9 above 0")
    with translation.override("sv"):
        assert "Tack för att du berättar" in message.shown["acknowledge"]
    assert message.acknowledge.startswith("Thank you")  # the stored English rendering


def test_numbers_in_messages_follow_the_readers_locale():
    with translation.override("sv"):
        assert number_text(2.5) == "2,5"
    with translation.override("en"):
        assert number_text(2.5) == "2.5"
        assert number_text(None) == "not known"


def test_the_advice_names_the_emergency_number_of_the_patients_country(staffed, rules):
    # Rule texts say {emergency}: 911 in the United States, 112 in Sweden (issue 19), never
    # "112 or 911".
    alice = staffed.alice
    enroll(alice, "ra-registry")
    site = alice.care_team.site
    seen = {}
    for country in ("US", "SE"):
        site.country = country
        site.save(update_fields=["country"])
        response, scores = checkin(alice, scores={"phq9": 16}, items={"phq9": {"phq9-9": 0}})
        message = evaluate_and_record(response, scores).messages[0]
        message.refresh_from_db()
        with translation.override("en"):
            seen[country] = message.shown["advise"]
        with translation.override("es"):
            seen[country, "es"] = message.shown["advise"]
    for reader in ("US", ("US", "es")):
        assert "911." in seen[reader] and "112" not in seen[reader]
    for reader in ("SE", ("SE", "es")):
        assert "112." in seen[reader] and "911" not in seen[reader]
    assert "en una emergencia, al 911." in seen["US", "es"]
    assert not any("{emergency}" in text for text in seen.values())
