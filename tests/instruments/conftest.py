"""Fixtures of the instrument tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from coproduce.instruments.library import forget_imported

FILES = Path(__file__).parent / "files"
EXTERNAL = FILES / "fhir"
REDCAP = FILES / "redcap"


@pytest.fixture(autouse=True)
def _forget_imported_versions():
    """Each test's database rolls back, so imported definitions must not outlive it."""
    yield
    forget_imported()


def phq9(*weights: int | None) -> dict[str, int]:
    """PHQ-9 answers by weight, item 1 first; None leaves an item unanswered."""
    return {f"phq9-{n}": w for n, w in enumerate(weights, 1) if w is not None}


def gad7(*weights: int | None) -> dict[str, int]:
    return {f"gad7-{n}": w for n, w in enumerate(weights, 1) if w is not None}
