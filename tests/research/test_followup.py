"""After randomisation: study assessments on the check-in machinery, withdrawal scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coproduce.checkins.models import Enrollment, Invitation, InvitationStatus
from coproduce.checkins.scheduling import sync_patient
from coproduce.research import consent
from coproduce.research.followup import (
    assessments_due,
    completion,
    randomise_and_start,
    record_attendance,
    scopes_of,
    withdraw,
)
from coproduce.research.models import ConsentDocument, Signer
from coproduce.research.participants import Status, TreatmentSession, WithdrawalScope
from coproduce.safetynet.engine import CRISIS_RULE_ID, evaluate_and_record
from tests.research.conftest import NOW
from tests.research.helpers import consented
from tests.safetynet.factories import checkin


def _started(world, trial, now=NOW):
    p = consented(trial, world.alice, world.cora)
    sync_patient(world.alice, now=now - dt.timedelta(days=3))  # the hourly job ran before
    randomise_and_start(p, by=world.cora, now=now)
    p.refresh_from_db()
    return p


def _open(patient, program):
    return Invitation.objects.filter(
        patient=patient, schedule__program=program, status=InvitationStatus.SCHEDULED
    )


def test_a_study_instrument_due_the_week_of_a_care_checkin_is_asked_once(world, trial):
    p = _started(world, trial)
    study_program = trial.study.assessments
    # Care asks peg + phq9 on Mondays; the study's weekly peg (Thursdays) is left out, so
    # no study invitation asks peg in a week that has a care check-in.
    study_weekly = _open(world.alice, study_program).filter(schedule__name="Weekly pain")
    assert not study_weekly.exists()
    assert _open(world.alice, trial.care).exists()
    # The care check-in's answer counts for the study's weekly assessment too.
    monday = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
    checkin(world.alice, monday, scores={"peg": 5.0, "phq9": 3})
    states = {
        (d.name, d.due_at.date()): d.state
        for d in assessments_due(p, now=monday + dt.timedelta(days=5))
    }
    assert states[("Weekly pain", dt.date(2026, 3, 12))] == "done"


def test_completion_counts_answered_of_owed(world, trial):
    p = _started(world, trial)
    later = NOW + dt.timedelta(days=15)
    answered, owed = completion(p, now=later)
    assert answered == 0 and owed >= 3  # baseline and two weekly, none answered
    checkin(world.alice, NOW + dt.timedelta(hours=2), scores={"peg": 4.0})
    # One answer on Monday counts for the baseline and for that week's weekly assessment.
    assert completion(p, now=later)[0] == 2


@pytest.mark.parametrize("scope", [WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA])
def test_stopping_follow_up_ends_study_invitations_and_never_care(world, trial, scope):
    p = _started(world, trial)
    withdraw(p, scope=scope, reason="moving away", by=world.cora, now=NOW + dt.timedelta(days=1))
    sync_patient(world.alice, now=NOW + dt.timedelta(days=1))
    assert not _open(world.alice, trial.study.assessments).exists()
    assert Enrollment.objects.get(patient=world.alice, program=trial.care).ended_on is None
    assert _open(world.alice, trial.care).exists()
    assert not p.contact_tasks.filter(done_at__isnull=True).exists()
    # The safety net still answers a crisis.
    response, scores = checkin(
        world.alice, NOW + dt.timedelta(days=2), scores={"phq9": 14}, items={"phq9": {"phq9-9": 2}}
    )
    outcome = evaluate_and_record(response, scores)
    assert [a.rule_id for a in outcome.alerts] == [CRISIS_RULE_ID]
    # And no re-consent link reaches someone who withdrew.
    doc = ConsentDocument.objects.create(
        study=trial.study,
        signer=Signer.ADULT,
        version="2",
        approved_on=dt.date(2026, 2, 1),
        title="v2",
        body="x",
        reconsent_required=True,
    )
    assert consent.sign_off(doc, by=trial.pi) == 0


def test_stopping_the_intervention_keeps_follow_up(world, trial):
    p = _started(world, trial)
    before = _open(world.alice, trial.study.assessments).count()
    withdraw(p, scope=WithdrawalScope.INTERVENTION, by=world.cora, now=NOW + dt.timedelta(hours=1))
    sync_patient(world.alice, now=NOW + dt.timedelta(hours=1))
    assert _open(world.alice, trial.study.assessments).count() == before
    assert not p.sessions.exists()  # future sessions are off
    assert p.contact_tasks.filter(done_at__isnull=True).count() == 3
    assert scopes_of(p) == {"intervention"}
    p.refresh_from_db()
    assert p.status == Status.WITHDRAWN
    # A wider scope later is recorded; the same scope twice is refused.
    withdraw(p, scope=WithdrawalScope.DATA, by=world.cora, now=NOW + dt.timedelta(hours=2))
    assert scopes_of(p) == {"intervention", "follow_up", "data"}
    with pytest.raises(ValidationError):
        withdraw(p, scope=WithdrawalScope.FOLLOW_UP, by=world.cora)


def test_attendance_makes_a_participant_active(world, trial):
    p = _started(world, trial)
    p.sessions.all().delete()  # the arm is random; a session of our own
    session = TreatmentSession.objects.create(
        participant=p, number=1, starts_at=NOW + dt.timedelta(days=7)
    )
    with pytest.raises(ValidationError):
        record_attendance(session, attended=True, by=world.cora, now=NOW)
    record_attendance(session, attended=True, by=world.cora, now=session.starts_at)
    p.refresh_from_db()
    assert p.status == Status.ACTIVE
