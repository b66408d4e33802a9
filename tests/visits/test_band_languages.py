"""Severity bands: a person reads their label in their own language; the codes never change."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from coproduce.instruments.scoring import score
from coproduce.visits import clinical
from tests.visits.helpers import weekly_scores

pytestmark = pytest.mark.django_db


def test_a_band_keeps_its_code_and_english_label_and_shows_in_the_readers_language():
    band = clinical.info("phq9").band_for(12)
    assert (band.code, band.label) == ("moderate", "Moderate symptoms of depression")
    with translation.override("sv"):
        assert (band.shown, band.short) == ("Måttliga symtom på depression", "Måttlig")
    with translation.override("es"):
        assert band.shown == "Síntomas moderados de depresión"
        assert clinical.info("das28-crp").band_for(4).shown == "Actividad moderada de la enfermedad"


def test_a_score_result_keeps_the_english_label_for_json_and_exports():
    answers = {f"phq9-{n}": 1 for n in range(1, 10)}
    answers["phq9-9"] = 0
    with translation.override("sv"):
        result = score("phq9", None, answers)
    assert (result.band, result.band_label) == ("mild", "Mild symptoms of depression")


def _swedish_nurses_dashboard(client, world) -> str:
    """Alice's dashboard, with six weekly PHQ-9 scores, as Nina reads it in Swedish."""
    weekly_scores(world.alice, {"phq9": [6, 8, 9, 11, 12, 14]})
    world.nina.language = "sv"
    world.nina.save(update_fields=["language"])
    client.force_login(world.nina)
    return client.get(reverse("visits:dashboard", args=[world.alice.registry_id])).content.decode()


def test_a_swedish_nurse_reads_the_band_on_the_dashboard_in_swedish(client, world):
    html = _swedish_nurses_dashboard(client, world)
    assert "Måttliga symtom på depression" in html
    assert "Moderate symptoms of depression" not in html
    assert 'class="band-label">Måttlig</text>' in html


def test_a_swedish_nurse_hears_the_charts_text_alternative_in_swedish(client, world):
    html = _swedish_nurses_dashboard(client, world)
    assert "över tid</title>" in html and "6 punkter; senast 14" in html
    assert "Tabellen under diagrammet har samma siffror." in html
    assert "The table below the chart" not in html and "over time</title>" not in html
