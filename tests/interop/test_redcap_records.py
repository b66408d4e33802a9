"""Check-in answers written as REDCap records (flat import format), audited."""

import csv
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import Enrollment, Program
from coproduce.checkins.services import submit_checkin
from coproduce.instruments.library import forget_imported
from coproduce.platform import clock
from tests.instruments.conftest import REDCAP

pytestmark = pytest.mark.django_db
# Tuesday 3 March 2026 and the week after, noon UTC: well inside the enrollment.
FIRST = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
SECOND = FIRST + dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _forget():
    yield
    forget_imported()


@pytest.fixture
def program(world):
    taper = Program.objects.create(slug="taper", name="Opioid taper")
    Enrollment.objects.create(patient=world.alice, program=taper, started_on=dt.date(2026, 3, 1))
    return taper


def submit(patient, answers, key, when):
    with transaction.atomic():
        return submit_checkin(patient=patient, answers=answers, idempotency_key=key,
                              source="cli", now=when)  # fmt: skip


def records(tmp_path, *args):
    out = tmp_path / "records.csv"
    call_command("redcap", "records", *args, "--out", str(out), stdout=StringIO())
    return list(csv.DictReader(open(out, encoding="utf-8")))


def test_it_writes_each_check_in_as_a_repeating_instance(tmp_path, world, program):
    call_command("redcap", "import", str(REDCAP / "redcapr-survey.csv"), stdout=StringIO())
    survey = {"dob": "1980-05-17", "email": "a@example.org", "has_diabetes": True,
              "consent": ["1"]}  # fmt: skip
    submit(world.alice, {"prescreening_survey": survey, "peg": {"peg-1": 4, "peg-2": 5,
           "peg-3": 6}}, "one", FIRST)  # fmt: skip
    submit(world.alice, {"peg": {"peg-1": 3, "peg-2": 3, "peg-3": 3}}, "two", SECOND)
    rows = records(tmp_path, "--program", "taper")
    assert [(r["redcap_repeat_instrument"], r["redcap_repeat_instance"]) for r in rows] == [
        ("peg", "1"), ("prescreening_survey", "1"), ("peg", "2"),
    ]  # fmt: skip
    assert {r["record_id"] for r in rows} == {world.alice.registry_id}
    first = rows[1]
    assert (first["dob"], first["has_diabetes"], first["consent___1"]) == ("1980-05-17", "1", "1")
    assert first["prescreening_survey_complete"] == "2"
    assert (rows[0]["peg_1"], rows[2]["peg_1"], rows[2]["peg_complete"]) == ("4", "3", "2")
    assert list(rows[0])[:3] == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    audit = AuditEvent.objects.get(event="redcap.records_exported")
    assert (audit.patient, audit.detail["responses"]) == (world.alice, 2)


def test_it_leaves_out_answers_from_outside_the_enrollment(tmp_path, world, program):
    submit(world.alice, {"peg": {"peg-1": 4, "peg-2": 5, "peg-3": 6}}, "early",
           FIRST - dt.timedelta(days=30))  # fmt: skip
    submit(world.tom, {"peg": {"peg-1": 4, "peg-2": 5, "peg-3": 6}}, "tom", FIRST)
    assert records(tmp_path, "--program", "taper") == []
    assert not AuditEvent.objects.filter(event="redcap.records_exported").exists()


def test_it_names_the_event_of_a_longitudinal_project(tmp_path, world, program):
    submit(world.alice, {"peg": {"peg-1": 4, "peg-2": 5, "peg-3": 6}}, "one", FIRST)
    (row,) = records(tmp_path, "--program", "taper", "--event", "week_1_arm_1")
    assert row["redcap_event_name"] == "week_1_arm_1"


def test_it_refuses_an_unknown_study_naming_the_known_ones(tmp_path, trial):
    with pytest.raises(CommandError, match="no study 'empowr'; studies: empower"):
        records(tmp_path, "--study", "empowr")
    assert not (tmp_path / "records.csv").exists()


PEG = {"peg": {"peg-1": 4, "peg-2": 5, "peg-3": 6}}
PHQ9 = {"phq9": {**{f"phq9-{n}": 1 for n in range(1, 10)}, "phq9-10": "LA6572-7"}}


def test_a_study_writes_its_consented_participants_under_their_pseudonyms(tmp_path, world, trial):
    from coproduce.research.deid import pseudonym
    from coproduce.research.followup import randomise_and_start, withdraw
    from coproduce.research.participants import WithdrawalScope
    from tests import factories
    from tests.research.helpers import consented, screened

    now = clock.now()
    hour = dt.timedelta(hours=1)
    people = {
        n: factories.make_patient(world.team_a, given_name=n) for n in ("ann", "fay", "dan", "sam")
    }
    for n, patient in people.items():  # before anyone consented: never study data
        submit(patient, PEG, f"{n}-before", now - 24 * hour)
    ann = consented(trial, people["ann"], world.cora)
    randomise_and_start(ann, by=world.cora)
    fay = consented(trial, people["fay"], world.cora)
    dan = consented(trial, people["dan"], world.cora)
    screened(trial, people["sam"], world.cora)  # screened, never consented
    for n, patient in people.items():
        submit(patient, {**PEG, **PHQ9}, f"{n}-1", now + hour)
    withdraw(fay, scope=WithdrawalScope.FOLLOW_UP, by=world.cora, now=now + 2 * hour)
    withdraw(dan, scope=WithdrawalScope.DATA, by=world.cora, now=now + 2 * hour)
    for n, patient in people.items():
        submit(patient, PEG, f"{n}-2", now + 3 * hour)
        submit(patient, PHQ9, f"{n}-phq", now + 4 * hour)  # not a study assessment

    rows = records(tmp_path, "--study", "empower")
    ann_id = pseudonym("empower", people["ann"].registry_id)
    fay_id = pseudonym("empower", people["fay"].registry_id)
    # Ann: both check-ins since consent; Fay: only the one before she stopped follow-up;
    # Dan withdrew data use, Sam never consented; PHQ-9 is not one of the study's assessments.
    assert [(r["record_id"], r["redcap_repeat_instrument"], r["redcap_repeat_instance"])
            for r in rows] == [(ann_id, "peg", "1"), (ann_id, "peg", "2"),
                               (fay_id, "peg", "1")]  # fmt: skip
    assert ann_id.startswith("P-") and ann_id != fay_id
    text = (tmp_path / "records.csv").read_text()
    assert not any(p.registry_id in text for p in people.values())
    assert "phq9" not in text.splitlines()[0]
    audits = AuditEvent.objects.filter(event="redcap.records_exported").order_by("pk")
    assert [(a.patient, a.detail["study"], a.detail["record_id"], a.detail["responses"])
            for a in audits] == [(people["ann"], "empower", ann_id, 2),
                                 (people["fay"], "empower", fay_id, 1)]  # fmt: skip


def test_a_pseudonym_is_stable_keyed_and_differs_between_studies(world, trial, settings):
    from coproduce.research.deid import pseudonym

    first = pseudonym("empower", world.alice.registry_id)
    assert first != pseudonym("other", world.alice.registry_id)
    assert first != pseudonym("empower", world.tom.registry_id)
    settings.COPRODUCE_PSEUDONYM_KEY = "another key"
    assert pseudonym("empower", world.alice.registry_id) != first


def test_it_refuses_an_unknown_program_naming_the_known_ones(tmp_path, program):
    with pytest.raises(CommandError, match="no program 'tapr'; programs: taper"):
        records(tmp_path, "--program", "tapr")


def test_it_needs_study_or_program(tmp_path):
    with pytest.raises(CommandError):
        call_command("redcap", "records", "--out", str(tmp_path / "x.csv"))


def test_it_leaves_redcap_calculations_to_redcap(tmp_path, world, program):
    rows = list(
        csv.reader(StringIO((REDCAP / "redcapr-simple.csv").read_text(encoding="utf-8-sig")))
    )
    path = tmp_path / "simple.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([r for r in rows if r[3] != "file"])
    call_command("redcap", "import", str(path), stdout=StringIO())
    submit(world.alice, {"health": {"height": 175, "weight": 70}}, "one", FIRST)
    (row,) = records(tmp_path, "--program", "taper")
    assert (row["height"], row["weight"]) == ("175", "70")
    assert "bmi" not in row  # stored in coproduce (22.9), computed by REDCap there
