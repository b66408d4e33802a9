"""Stored instrument versions that responses can point to."""

import pytest

from coproduce.instruments.library import get_definition
from coproduce.instruments.models import InstrumentVersion
from coproduce.instruments.services import record_version

pytestmark = pytest.mark.django_db


def test_it_records_a_shipped_version_once():
    first = record_version(get_definition("phq9", "1.0"))
    again = record_version(get_definition("phq9", "1.0"))
    assert first.pk == again.pk
    assert (first.kind, first.title) == ("shipped", "Patient Health Questionnaire (PHQ-9)")
    assert first.questionnaire["version"] == "1.0"


def test_it_refuses_a_shipped_file_edited_under_the_same_version():
    definition = get_definition("gad7")
    InstrumentVersion.objects.create(
        instrument_id="gad7", version="1.0", title="x", kind="shipped", questionnaire={}
    )
    with pytest.raises(RuntimeError, match="ship a new version"):
        record_version(definition)
