"""Taper texts follow the reader: stored once as keys with parameters, shown in es or sv."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.utils import translation

from coproduce.careplans import services
from coproduce.careplans.models import Decision, TaperDecision, TaperStep
from coproduce.careplans.outcomes import Observation, tapering_success
from coproduce.careplans.taper import (
    FIVE_PERCENT_EVERY_2_WEEKS,
    NOTE_ONE_UNIT,
    TEN_PERCENT_EVERY_MONTH,
    Pace,
    UnsafePaceError,
)
from coproduce.safetynet.models import Alert
from tests.careplans.helpers import clinician_for, oxycodone_plan, score

START = dt.date(2025, 1, 6)


@pytest.fixture
def doc(world):
    return clinician_for(world.team_a)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _reads(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def test_it_writes_the_pace_in_the_readers_language_with_plural_forms():
    with translation.override("en"):
        assert TEN_PERCENT_EVERY_MONTH.label == "10 % every month"
        assert FIVE_PERCENT_EVERY_2_WEEKS.label == "5 % every 2 weeks"
    with translation.override("es"):
        assert TEN_PERCENT_EVERY_MONTH.label == "10 % cada mes"
        assert FIVE_PERCENT_EVERY_2_WEEKS.label == "5 % cada 2 semanas"
    with translation.override("sv"):
        assert Pace(D(5), every_weeks=1).label == "5 % varje vecka"
        assert FIVE_PERCENT_EVERY_2_WEEKS.label == "5 % var 2:e vecka"
        with pytest.raises(UnsafePaceError, match="för tvärt"):
            Pace(D(50), every_weeks=4)


def test_a_spanish_patient_reads_her_taper_calendar_in_spanish(client, world, doc):
    oxycodone_plan(world.alice, doc)
    world.alice.preferred_language = "es"
    world.alice.save()
    client.force_login(world.alice.user)
    body = client.get(f"/patients/{world.alice.registry_id}/plan/calendar/").content.decode()
    assert "10 % cada 4 semanas" in body
    assert "una unidad de 5 mg, más espaciada para mantener el ritmo" in body
    assert "Para bajar más hace falta una pastilla de menor concentración" in body
    assert "spaced out" not in body and "every 4 weeks" not in body
    # Stored once, in English, with the key and its parameters beside it.
    step = TaperStep.objects.filter(note="one 5 mg unit, spaced out to keep the pace").first()
    assert step is not None
    assert step.note_texts == {"key": NOTE_ONE_UNIT, "params": {"amount": "5", "unit": "mg"}}


def test_the_stored_suggestion_reason_reads_in_swedish_for_a_swedish_nurse(client, world, doc):
    plan = oxycodone_plan(world.alice, doc)
    score(world.alice, "pain-nrs", 5, on=START - dt.timedelta(days=2))
    score(world.alice, "pain-nrs", 7, on=START + dt.timedelta(weeks=1))
    with translation.override("es"):  # the page the clinician decided on was in Spanish
        suggestion = services.suggest_for_next_step(plan, now=_at(START + dt.timedelta(weeks=2)))
        assert "Su dolor está 2 puntos más alto" in " ".join(suggestion.reasons)
        decision = services.record_decision(
            plan, suggestion=suggestion, decision=Decision.HOLD, by=doc, today=START
        )
    decision.refresh_from_db()
    assert "Your pain is 2 points higher than before the last change." in (
        decision.suggestion_reasons
    )
    assert decision.suggestion_params["pain_rise"] == "2"
    _reads(world.nina, "sv")
    client.force_login(world.nina)
    body = client.get(f"/patients/{world.alice.registry_id}/plan/").content.decode()
    assert "Din smärta är 2 poäng högre än före den senaste ändringen." in body
    assert "Your pain is 2 points higher" not in body


def test_a_decision_stored_before_its_parameters_shows_its_english_where_it_needs_them(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    old = TaperDecision.objects.create(
        plan=plan,
        suggestion_kind=Decision.HOLD,
        suggestion_codes=["pain_hold", "low_comfort"],
        suggestion_reasons=[
            "Your pain is 3 points higher than before the last change.",
            "You are not comfortable with your current dose yet.",
        ],
        decision=Decision.HOLD,
        decided_by=doc,
    )
    with translation.override("sv"):
        assert old.reasons_shown == [
            "Your pain is 3 points higher than before the last change.",
            "Du känner dig inte bekväm med din nuvarande dos ännu.",
        ]


def test_the_migration_gives_old_rows_their_keys(world, doc):
    plan = oxycodone_plan(world.alice, doc)
    step = plan.steps.order_by("-number").first()
    TaperStep.objects.filter(pk=step.pk).update(
        note="one 2.5 mg unit, spaced out to keep the pace", note_texts={}
    )
    decision = TaperDecision.objects.create(
        plan=plan,
        suggestion_kind=Decision.STEP_BACK_UP,
        suggestion_codes=["pain_severe", "step_back"],
        suggestion_reasons=[
            "Your pain has been much worse than before the last change for two weeks running.",
            "We suggest going back to your previous dose of 54 MME/day; your team will confirm.",
        ],
        decision=Decision.STEP_BACK_UP,
        decided_by=doc,
    )
    migration = importlib.import_module(
        "coproduce.careplans.migrations.0006_step_note_texts_decision_params"
    )
    migration.keys_from_english(apps, None)
    step.refresh_from_db()
    decision.refresh_from_db()
    assert decision.suggestion_params == {"previous": "54"}
    with translation.override("sv"):
        assert step.note_shown == "en enhet på 2,5 mg, med längre mellanrum för att hålla takten"
        assert decision.reasons_shown[1].startswith(
            "Vi föreslår att du går tillbaka till din tidigare dos på 54 MME/dag"
        )


def test_a_spanish_patients_request_reads_in_spanish_and_its_alert_in_swedish(client, world, doc):
    plan = oxycodone_plan(world.alice, doc)
    world.alice.preferred_language = "es"
    world.alice.save()
    client.force_login(world.alice.user)
    page = client.post(
        f"/patients/{world.alice.registry_id}/plan/taper/ask/",
        {"kind": "pause", "text": ""},
        follow=True,
    ).content.decode()
    assert "Su reducción está en pausa en 90 MME/día." in page
    assert "Su equipo le responderá antes del" in page
    alert = Alert.objects.get(rule_id=services.REQUEST_RULE_ID)
    assert alert.reason == "Taper change requested"
    assert alert.data["team_actions"][0] == "Reply to the patient within 3 days to confirm."
    with translation.override("sv"):
        assert alert.reason_shown == "Ändring av nedtrappningen begärd"
    plan.refresh_from_db()
    assert plan.status == "paused"


def test_a_dose_alert_reason_is_stored_once_and_read_in_each_language(world, doc):
    oxycodone_plan(world.alice, doc)
    med = world.alice.medications.get()
    cut = services.record_medication(
        world.alice,
        drug="oxycodone",
        strength=D(5),
        per_day=3,
        started_on=START + dt.timedelta(weeks=4),
        by=doc,
        replaces=med,
    )
    alert = cut.dose_alert
    assert alert.reason.startswith("Dose cut by 75.0 % at once (90.0 → 22.5 MME/day)")
    with translation.override("es"):
        assert alert.reason_shown.startswith("La dosis bajó un 75.0 % de una vez")


def test_the_outcome_says_what_is_missing_in_the_readers_language():
    baseline = Observation(START, mme=D(90), pain=None)
    with translation.override("sv"):
        result = tapering_success(baseline, [])
    assert result.success is None
    assert result.reason.startswith("saknas: smärta vid start")


@pytest.mark.parametrize(
    ("language", "change", "words"),
    [
        ("es", {"per_day": ""}, "oxycodone: falta el número de dosis al día."),
        ("sv", {"strength": "0"}, "oxycodone: styrkan måste vara större än noll, inte 0."),
        ("sv", {"unit": "mcg/hr"}, "oxycodone: enheten mcg/hr passar inte; använd mg."),
        ("es", {"drug": "oxycodeine"}, "no está en la tabla de MME"),
    ],
)
def test_a_medicine_that_cannot_be_scored_is_refused_in_the_nurses_language(
    client, world, language, change, words
):
    from coproduce.careplans.models import Medication

    _reads(world.nina, language)
    client.force_login(world.nina)
    form = {
        "kind": "opioid",
        "drug": "oxycodone",
        "strength": "10",
        "unit": "mg",
        "per_day": "3",
        "started_on": START.isoformat(),
        "save": "1",
        **change,
    }
    response = client.post(f"/patients/{world.alice.registry_id}/plan/medications/new/", form)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not Medication.objects.exists()


def test_the_api_and_command_line_keep_the_english_problem_with_the_json_field_names():
    from coproduce.careplans.mme import PerDayError, daily_mme

    with translation.override("sv"), pytest.raises(PerDayError) as caught:
        daily_mme("oxycodone", 10, "mg", None)
    assert caught.value.problem == "per_day is missing"
    assert caught.value.message() == "oxycodone: doses per day is missing."
    with translation.override("sv"):
        assert caught.value.message() == "oxycodone: antal doser per dag saknas."
