"""Every shipped program's rules: red flags raise the right alert, benign check-ins none.

Each program's table is built from what its shipped schedules ask (checkins.demo.SCHEDULES):
a program that asks the PHQ-9 gets the mood scenarios, one with a PEG or pain score the pain
scenarios, and each adds its own. Pediatric programs (IBD, CF) are tried with a 15-year-old
on a pediatric team, whose alerts must reach that team.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from coproduce.checkins.demo import PROGRAMS as DEMO_PROGRAMS
from coproduce.checkins.demo import SCHEDULES
from coproduce.people.models import Role
from coproduce.platform.models import Priority
from coproduce.safetynet.engine import evaluate_and_record
from coproduce.safetynet.models import Alert
from coproduce.safetynet.rules import PROGRAMS
from coproduce.safetynet.services import alerts_visible_to
from tests import factories
from tests.safetynet.factories import T0, checkin, enroll, weeks

pytestmark = pytest.mark.usefixtures("rules")

PEDIATRIC = {"ibd", "cf"}
PRIORITY = {"urgent": Priority.URGENT, "soon": Priority.SOON, "routine": Priority.ROUTINE}


@dataclass
class Case:
    name: str
    now: dict[str, float] = field(default_factory=dict)  # this check-in's scores
    before: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # weeks ago
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    free_text: str = ""
    expect: tuple[str, str] | None = None  # (rule, priority) of the one alert, or none

    def __str__(self) -> str:
        return self.name


def asks(program: str, instrument: str) -> bool:
    return any(instrument in instruments for _, _, instruments, _ in SCHEDULES[program])


def mood_cases(program: str) -> list[Case]:
    taper = program == "opioid-taper"
    crisis = "taper-mood-crisis" if taper else "crisis-phq9-item9"
    severe = ("taper-mood-severe" if taper else "phq9-severe", "soon")
    # The taper program keeps its stricter rule: a rise of 5 is "soon" there.
    rise = ("taper-mood-severe", "soon") if taper else ("phq9-moderate", "routine")
    return [
        Case(
            "PHQ-9 item 9 = 2",
            {"phq9": 12},
            items={"phq9": {"phq9-9": 2}},
            expect=(crisis, "urgent"),
        ),
        Case(
            "PHQ-9 24 and item 9 = 1: the crisis alone",
            {"phq9": 24},
            items={"phq9": {"phq9-9": 1}},
            expect=(crisis, "urgent"),
        ),
        Case("PHQ-9 22", {"phq9": 22}, expect=severe),
        Case("PHQ-9 20", {"phq9": 20}, before=[(4, {"phq9": 18})], expect=severe),
        Case("PHQ-9 19", {"phq9": 19}, expect=("phq9-moderate", "routine")),
        Case("PHQ-9 15", {"phq9": 15}, expect=("phq9-moderate", "routine")),
        Case("PHQ-9 up 5, 9 to 14", {"phq9": 14}, before=[(4, {"phq9": 9})], expect=rise),
        Case("benign: PHQ-9 up 4, 10 to 14", {"phq9": 14}, before=[(4, {"phq9": 10})]),
        Case("benign: PHQ-9 down, 18 to 12", {"phq9": 12}, before=[(4, {"phq9": 18})]),
        Case("benign: PHQ-9 3", {"phq9": 3}),
    ]


def pain_cases(program: str, measure: str) -> list[Case]:
    taper = program == "opioid-taper"
    major = ("taper-pain-up", "soon") if taper else ("pain-up-major", "soon")
    minor = ("taper-pain-up", "soon") if taper else ("pain-up", "routine")
    baseline = [(12, {measure: 3.0}), (2, {measure: 8.0})]  # the first after enrolment counts
    return [
        Case(f"{measure} 10/10/10, baseline 3", {measure: 10.0}, before=baseline, expect=major),
        Case(f"{measure} up 4 from baseline", {measure: 7.0}, before=baseline, expect=major),
        Case(f"{measure} up 2 from baseline", {measure: 5.0}, before=baseline, expect=minor),
        Case(f"benign: {measure} up 1.5 from baseline", {measure: 4.5}, before=baseline),
        Case(f"benign: {measure} below baseline", {measure: 4.0}, before=[(8, {measure: 6.0})]),
        Case(f"benign: {measure} 9 with no baseline yet", {measure: 9.0}),
    ]


OWN_CASES = {
    "opioid-taper": [
        Case("withdrawal 7/10", {"withdrawal-nrs": 7}, expect=("taper-withdrawal-severe", "soon")),
        Case(
            "not comfortable with the dose",
            items={"taper-weekly": {"taper-comfort": 2, "taper-satisfaction": 8}},
            expect=("taper-low-comfort", "soon"),
        ),
        Case(
            "benign: comfortable and satisfied",
            items={"taper-weekly": {"taper-comfort": 8, "taper-satisfaction": 8}},
        ),
        Case(
            "a note for the team",
            {"peg": 3},
            free_text="Can we talk?",
            expect=("taper-free-text", "routine"),
        ),
    ],
    "ra-registry": [
        Case("DAS28-CRP 5.2", {"das28-crp": 5.2}, expect=("ra-das28-flare", "soon")),
        Case("benign: DAS28-CRP 3.0", {"das28-crp": 3.0}),
        Case("benign: a note", {"pain-nrs": 3}, free_text="All fine"),
    ],
    "ibd": [
        Case("HBI 8", {"hbi": 8}, expect=("ibd-hbi-flare", "soon")),
        Case("PUCAI 35", {"pucai": 35}, expect=("ibd-pucai-flare", "soon")),
        Case(
            "a flare", items={"flare": {"flare-now": 1}}, expect=("flare-patient-reported", "soon")
        ),
        Case("benign: HBI 4", {"hbi": 4}),
    ],
    "cf": [
        Case(
            "a flare", items={"flare": {"flare-now": 1}}, expect=("flare-patient-reported", "soon")
        ),
        Case("benign: no flare", items={"flare": {"flare-now": 0}}),
        Case("benign: GAD-7 6", {"gad7": 6}),
    ],
}


def cases_for(program: str) -> list[Case]:
    cases = list(OWN_CASES[program])
    if asks(program, "phq9"):
        cases += mood_cases(program)
    for measure in ("peg", "pain-nrs"):
        if asks(program, measure):
            cases += pain_cases(program, measure)
    return cases


def patient_for(world, program: str):
    """Alice for adult programs; a 15-year-old on a children's hospital team for pediatric ones."""
    if program not in PEDIATRIC:
        return world.alice
    site = factories.make_site("Children's Hospital")
    team = factories.make_team(site, "Pediatric team")
    nurse = factories.make_user(Role.NURSE, username="pedsnurse", teams=[team])
    nurse.email = "peds@example.org"
    nurse.save()
    world.nina.email = "nina@example.org"  # on the adult team: must not hear of this child
    world.nina.save()
    born = (T0 - dt.timedelta(days=15 * 365 + 100)).date()
    return factories.make_patient(team, given_name="Leo", born=born)


def run(world, program: str, case: Case):
    patient = patient_for(world, program)
    enroll(patient, program)
    for ago, scores in case.before:
        checkin(patient, T0 - weeks(ago), scores=scores)
    response, scores = checkin(
        patient, T0, scores=case.now, items=case.items, free_text=case.free_text
    )
    outcome = evaluate_and_record(response, scores, now=T0)
    raised = {(a.rule_id, a.priority) for a in outcome.alerts}
    expected = {(case.expect[0], PRIORITY[case.expect[1]])} if case.expect else set()
    assert raised == expected
    # One message per alert: the patient hears exactly what the team was asked to do.
    assert [m.rule_id for m in outcome.messages] == [a.rule_id for a in outcome.alerts]
    if program in PEDIATRIC and outcome.alerts:
        nurse = patient.care_team.members.get()
        assert all(a.care_team == patient.care_team for a in outcome.alerts)
        assert set(alerts_visible_to(nurse)) == set(Alert.objects.all())
        assert not alerts_visible_to(world.nina).exists()
        if case.expect and case.expect[1] == "urgent":
            from coproduce.platform.models import Notification

            assert set(Notification.objects.values_list("to", flat=True)) == {nurse.email}


def test_every_shipped_program_has_a_rule_table():
    assert {slug for slug, *_ in DEMO_PROGRAMS} == set(PROGRAMS) == set(OWN_CASES)
    # Every program with a PHQ-9 or a pain measure in its schedules meets those scenarios.
    assert all(asks(p, "phq9") for p in PROGRAMS)
    assert {p for p in PROGRAMS if asks(p, "peg") or asks(p, "pain-nrs")} == {
        "opioid-taper",
        "ra-registry",
        "ibd",
    }


@pytest.mark.parametrize("case", cases_for("opioid-taper"), ids=str)
def test_the_opioid_taper_program_alerts_on_red_flags_only(world, case):
    run(world, "opioid-taper", case)


@pytest.mark.parametrize("case", cases_for("ra-registry"), ids=str)
def test_the_ra_registry_program_alerts_on_red_flags_only(world, case):
    run(world, "ra-registry", case)


@pytest.mark.parametrize("case", cases_for("ibd"), ids=str)
def test_the_pediatric_ibd_program_alerts_its_team_on_red_flags_only(world, case):
    run(world, "ibd", case)


@pytest.mark.parametrize("case", cases_for("cf"), ids=str)
def test_the_pediatric_cf_program_alerts_its_team_on_red_flags_only(world, case):
    run(world, "cf", case)


# --- no second alert while one is open -----------------------------------------------------


def _pain(patient, at, value):
    response, scores = checkin(patient, at, scores={"pain-nrs": value})
    return evaluate_and_record(response, scores, now=at)


def test_an_open_alert_is_not_raised_again_and_the_patient_is_promised_its_time(world):
    enroll(world.alice, "ra-registry")
    checkin(world.alice, T0 - weeks(8), scores={"pain-nrs": 3})
    first = _pain(world.alice, T0, 5)
    assert [(a.rule_id, a.priority) for a in first.alerts] == [("pain-up", Priority.ROUTINE)]
    assert "Thursday 5 March" in first.messages[0].clinic_will  # 72 h after Monday 10:00
    second = _pain(world.alice, T0 + dt.timedelta(days=1), 5.5)
    assert second.alerts == [] and Alert.objects.count() == 1
    # The promise is the open alert's, not a new 72 hours (which would be Friday).
    assert "Thursday 5 March" in second.messages[0].clinic_will


def test_a_lesser_alert_of_the_same_concern_waits_for_the_open_one(world):
    enroll(world.alice, "ibd")
    checkin(world.alice, T0 - weeks(8), scores={"pain-nrs": 3})
    assert [a.rule_id for a in _pain(world.alice, T0, 8).alerts] == ["pain-up-major"]
    later = _pain(world.alice, T0 + dt.timedelta(hours=6), 5)
    assert later.alerts == [] and Alert.objects.count() == 1
    assert "10:00 tomorrow" in later.messages[0].clinic_will  # the open "soon" alert's time


def test_a_worse_alert_of_the_same_concern_is_raised_while_a_lesser_one_is_open(world):
    enroll(world.alice, "ibd")
    checkin(world.alice, T0 - weeks(8), scores={"pain-nrs": 3})
    assert [a.rule_id for a in _pain(world.alice, T0, 5).alerts] == ["pain-up"]
    worse = _pain(world.alice, T0 + dt.timedelta(days=1), 8)
    assert [(a.rule_id, a.priority) for a in worse.alerts] == [("pain-up-major", Priority.SOON)]


def test_a_resolved_alert_lets_the_rule_alert_again(world):
    enroll(world.alice, "ra-registry")
    checkin(world.alice, T0 - weeks(8), scores={"pain-nrs": 3})
    _pain(world.alice, T0, 5)
    Alert.objects.update(status="resolved")
    assert [a.rule_id for a in _pain(world.alice, T0 + weeks(1), 5).alerts] == ["pain-up"]


def test_a_teen_with_phq9_19_and_pain_9_reaches_the_pediatric_team_through_the_api(client, world):
    """The case from issue 11: this check-in raised no alert at all."""
    import json

    from django.db import transaction

    from coproduce.checkins.services import submit_checkin

    teen = patient_for(world, "ibd")
    teen.user = factories.make_user(Role.PATIENT, username="leo")
    teen.save()
    enroll(teen, "ibd", started=dt.date(2020, 1, 1))
    with transaction.atomic():  # an earlier monthly check-in: the pain baseline
        submit_checkin(
            patient=teen,
            answers={"pain-nrs": {"pain-nrs": 4}},
            idempotency_key="leo-1",
            now=dt.datetime(2021, 1, 10, 9, 0, tzinfo=dt.UTC),
        )
    phq9 = dict(zip([f"phq9-{n}" for n in range(1, 10)], [3, 3, 3, 2, 2, 2, 2, 2, 0], strict=True))
    client.force_login(teen.user)
    res = client.post(
        "/api/v1/checkins/",
        json.dumps({"answers": {"pain-nrs": {"pain-nrs": 9}, "phq9": phq9}}),
        content_type="application/json",
        headers={"Idempotency-Key": "leo-2"},
    )
    assert res.status_code == 201, res.content
    assert {s["instrument_id"]: s["score"] for s in res.json()["scores"]} == {
        "pain-nrs": 9,
        "phq9": 19,
    }
    alerts = Alert.objects.order_by("priority")
    assert [(a.rule_id, a.priority) for a in alerts] == [
        ("pain-up-major", Priority.SOON),
        ("phq9-moderate", Priority.ROUTINE),
    ]
    assert {a.care_team for a in alerts} == {teen.care_team}
    assert len(res.json()["messages"]) == 2
