import datetime as dt

from coproduce.checkins.models import Invitation, InvitationStatus, Schedule, ScheduleKind
from coproduce.checkins.scheduling import change_schedule, end_enrollment, sync_patient
from coproduce.visits.models import Appointment
from tests.checkins.conftest import DUE, MONDAY


def _due(patient, status=InvitationStatus.SCHEDULED):
    return list(
        Invitation.objects.filter(patient=patient, status=status)
        .order_by("due_at")
        .values_list("due_at", flat=True)
    )


def test_it_plans_weekly_invitations_for_four_weeks_at_clinic_time(enrolled):
    assert _due(enrolled) == [DUE + dt.timedelta(weeks=n) for n in range(4)]
    first = Invitation.objects.filter(patient=enrolled).order_by("due_at").first()
    assert first.instruments == ["peg", "phq9"]
    assert first.expires_at == DUE + dt.timedelta(days=7)
    assert first.reminder_days == [2, 4]


def test_it_keeps_clinic_local_time_across_daylight_saving(enrolled):
    later = MONDAY + dt.timedelta(weeks=4)
    sync_patient(enrolled, now=later)
    # Stockholm moves to summer time on 29 March: 09:00 local is then 07:00 UTC.
    assert dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC) in _due(enrolled)


def test_it_is_idempotent(enrolled):
    assert sync_patient(enrolled, now=MONDAY) == {"created": 0, "updated": 0, "cancelled": 0}
    assert len(_due(enrolled)) == 4


def test_it_moves_pending_invitations_when_the_schedule_changes(enrolled, weekly):
    sent = Invitation.objects.filter(patient=enrolled).order_by("due_at").first()
    sent.status = InvitationStatus.SENT
    sent.save()
    change_schedule(
        weekly, actor=None, now=MONDAY + dt.timedelta(hours=2), weekday=2, instruments=["peg"]
    )
    pending = Invitation.objects.filter(patient=enrolled, status=InvitationStatus.SCHEDULED)
    assert {d.weekday() for d in pending.values_list("due_at", flat=True)} == {2}
    assert all(i.instruments == ["peg"] for i in pending)
    assert len(_due(enrolled, InvitationStatus.CANCELLED)) == 3
    sent.refresh_from_db()
    assert sent.status == InvitationStatus.SENT and sent.instruments == ["peg", "phq9"]


def test_it_updates_pending_invitations_in_place_when_reminders_change(enrolled, weekly):
    change_schedule(weekly, actor=None, now=MONDAY, reminder_days=[1], expires_after_days=3)
    for inv in Invitation.objects.filter(patient=enrolled):
        assert inv.reminder_days == [1]
        assert inv.expires_at == inv.due_at + dt.timedelta(days=3)


def test_it_cancels_pending_invitations_when_the_enrollment_ends(enrolled):
    end_enrollment(enrolled.enrollments.get(), actor=None, now=MONDAY)
    assert _due(enrolled) == []


def test_it_plans_pre_visit_check_ins_before_each_appointment(alice, program, world):
    Schedule.objects.create(
        program=program,
        name="Pre-visit",
        kind=ScheduleKind.PREVISIT,
        instruments=["previsit"],
        days_before=3,
        local_time=dt.time(9, 0),
    )
    Appointment.objects.create(
        patient=alice, care_team=world.team_a, starts_at=MONDAY + dt.timedelta(days=10)
    )
    from coproduce.checkins.scheduling import enroll

    enroll(alice, program, actor=None, now=MONDAY, started_on=MONDAY.date())
    inv = Invitation.objects.get(patient=alice)
    assert inv.due_at == dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)
    assert inv.appointment is not None and inv.instruments == ["previsit"]


def test_it_plans_monthly_check_ins_on_the_last_day_of_short_months(alice, program):
    Schedule.objects.create(
        program=program,
        name="Monthly",
        kind=ScheduleKind.MONTHLY,
        instruments=["phq9"],
        day_of_month=31,
        local_time=dt.time(9, 0),
    )
    from coproduce.checkins.scheduling import enroll

    enroll(alice, program, actor=None, now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert [d.date() for d in _due(alice)] == [dt.date(2026, 2, 28)]
