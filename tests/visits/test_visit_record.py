"""The coproduced visit record: agenda, the four steps, sharing, comments, access."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import Enrollment, Invitation, Program, Schedule, ScheduleKind
from coproduce.checkins.scheduling import sync_patient
from coproduce.people.models import Role
from coproduce.platform import clock
from coproduce.visits import records
from coproduce.visits.models import Appointment, RecordStatus, VisitComment, VisitRecord
from tests import factories
from tests.visits.helpers import previsit

pytestmark = pytest.mark.django_db

STEPS = {
    "team_agenda": "Blood test results\nRepeat prescription",
    "coassess": "Pain is lower in the mornings; sleep is still broken.",
    "options": "Keep the dose; try a slower evening dose; physiotherapy.",
    "what_matters": "Walking the dog every morning.",
    "decision": "Physiotherapy first, keep the dose for now.",
    "patient_actions": "Book physiotherapy; note pain after walks.",
    "team_actions": "Send the physiotherapy referral this week.",
    "next_checkins": "Weekly PEG for four weeks.",
    "follow_up": "Nurse Nina calls in two weeks.",
}


@pytest.fixture
def dana(world):
    """A clinician on Alice's team (the world has only a nurse there)."""
    return factories.make_user(Role.CLINICIAN, username="dana", teams=[world.team_a])


@pytest.fixture
def appointment(world, dana):
    return Appointment.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        clinician=dana,
        starts_at=clock.now() - dt.timedelta(hours=1),
    )


def edit_url(appointment):
    return reverse("visits:record", args=[appointment.pk])


def summary_url(appointment):
    return reverse("visits:record-summary", args=[appointment.pk])


def share(client, appointment, **changes):
    return client.post(edit_url(appointment), {**STEPS, **changes, "action": "share"})


def test_it_lists_the_patients_items_before_the_teams(client, world, dana, appointment):
    previsit(
        world.alice,
        {"previsit-concern": "Sleeping through the night again", "previsit-topics": ["pain"]},
        at=appointment.starts_at - dt.timedelta(days=2),
    )
    client.force_login(dana)
    client.post(edit_url(appointment), {**STEPS, "action": "save"})
    visit_record = VisitRecord.objects.get(appointment=appointment)
    assert visit_record.agenda == [
        ("patient", "Sleeping through the night again"),
        ("patient", "My pain"),
        ("team", "Blood test results"),
        ("team", "Repeat prescription"),
    ]
    html = client.get(edit_url(appointment)).content.decode()
    assert html.index("Sleeping through the night again") < html.index("Blood test results")


def test_it_opens_with_the_concern_and_how_the_patient_likes_to_partner(
    client, world, dana, appointment
):
    previsit(
        world.alice,
        {
            "previsit-concern": "Walking to the shop without stopping",
            "previsit-partner": "together",
            "previsit-partner-note": "Show me the numbers",
        },
        at=appointment.starts_at - dt.timedelta(days=2),
    )
    client.force_login(dana)
    before_saving = client.get(edit_url(appointment)).content.decode()
    assert "Show me the numbers" in before_saving
    client.post(edit_url(appointment), {**STEPS, "action": "share"})
    visit_record = VisitRecord.objects.get(appointment=appointment)
    assert visit_record.agenda[0] == ("patient", "Walking to the shop without stopping")
    assert "Show me the numbers" in visit_record.patient_partner
    html = client.get(edit_url(appointment)).content.decode()
    assert html.index("Walking to the shop") < html.index("How they like to partner:")
    assert html.index("How they like to partner:") < html.index("Blood test results")
    # Afterwards the patient's own home says what was decided about their concern.
    client.force_login(world.alice.user)
    home = client.get(reverse("my-home")).content.decode()
    assert "What we decided at your visit" in home
    assert "Walking to the shop without stopping" in home
    assert STEPS["decision"] in home
    assert summary_url(appointment) in home
    summary = client.get(summary_url(appointment)).content.decode()
    assert "How you like to partner:" in summary


def test_it_takes_the_agenda_only_from_the_check_in_before_this_visit(
    client, world, dana, appointment
):
    previsit(
        world.alice,
        {"previsit-concern": "An old worry"},
        at=appointment.starts_at - dt.timedelta(days=40),
    )
    client.force_login(dana)
    client.post(edit_url(appointment), {**STEPS, "action": "save"})
    assert VisitRecord.objects.get(appointment=appointment).patient_agenda == []


def test_it_saves_a_draft_the_patient_cannot_see(client, world, dana, appointment):
    client.force_login(dana)
    response = client.post(edit_url(appointment), {**STEPS, "action": "save"})
    assert response.status_code == 302
    visit_record = VisitRecord.objects.get(appointment=appointment)
    assert visit_record.status == RecordStatus.DRAFT
    assert visit_record.decision == STEPS["decision"]
    client.force_login(world.alice.user)
    assert client.get(summary_url(appointment)).status_code == 404
    assert (
        b"Visit records"
        not in client.get(reverse("visits:dashboard", args=[world.alice.registry_id])).content
    )


def test_it_does_not_write_anything_when_the_page_is_only_opened(client, dana, appointment):
    client.force_login(dana)
    assert client.get(edit_url(appointment)).status_code == 200
    assert not VisitRecord.objects.exists()


def test_it_shares_the_record_with_the_patient(client, world, dana, appointment):
    client.force_login(dana)
    share(client, appointment)
    visit_record = VisitRecord.objects.get(appointment=appointment)
    assert visit_record.status == RecordStatus.SHARED
    assert visit_record.shared_by == dana
    client.force_login(world.alice.user)
    html = client.get(summary_url(appointment)).content.decode()
    assert "Physiotherapy first, keep the dose for now." in html
    assert "Nurse Nina calls in two weeks." in html
    dashboard = client.get(reverse("visits:dashboard", args=[world.alice.registry_id]))
    assert summary_url(appointment) in dashboard.content.decode()
    assert "Book physiotherapy" in dashboard.content.decode()  # the current plan


def test_it_refuses_to_share_an_empty_record(client, dana, appointment):
    client.force_login(dana)
    empty = {name: "" for name in STEPS}
    response = client.post(edit_url(appointment), {**empty, "action": "share"})
    assert response.status_code == 200
    assert "Write at least one of the four steps" in response.content.decode()
    assert not VisitRecord.objects.exists()


def test_it_audits_start_save_and_share_without_the_text(client, dana, appointment):
    client.force_login(dana)
    client.post(edit_url(appointment), {**STEPS, "action": "save"})
    share(client, appointment, decision="Changed my mind")
    events = list(
        AuditEvent.objects.filter(event__startswith="visit_record.")
        .order_by("pk")
        .values_list("event", "detail")
    )
    assert [e for e, _ in events] == [
        "visit_record.started",
        "visit_record.saved",
        "visit_record.shared",
    ]
    assert events[2][1] == {"changed": ["decision"], "status": "shared"}
    assert "Changed my mind" not in str(events)


@pytest.mark.parametrize("who", ["carl", "ruth", "quinn", "adam", "paula"])
def test_it_answers_404_to_other_teams_and_other_roles(client, world, appointment, who):
    client.force_login(getattr(world, who))
    assert client.get(edit_url(appointment)).status_code == 404
    assert client.post(edit_url(appointment), {**STEPS, "action": "share"}).status_code == 404
    assert not VisitRecord.objects.exists()


def test_it_answers_404_to_the_patient_on_the_clinicians_page(client, world, appointment):
    client.force_login(world.alice.user)
    assert client.get(edit_url(appointment)).status_code == 404


def test_it_answers_404_for_an_appointment_that_does_not_exist(client, dana):
    client.force_login(dana)
    assert client.get(reverse("visits:record", args=[999999])).status_code == 404


def test_it_hides_a_shared_record_from_other_teams_and_other_patients(
    client, world, dana, appointment
):
    client.force_login(dana)
    share(client, appointment)
    other = factories.make_patient(world.team_a, login=True)
    for user in (world.carl, world.quinn, other.user, world.paula):
        client.force_login(user)
        assert client.get(summary_url(appointment)).status_code == 404


def test_it_lets_the_patient_comment_and_the_team_read_it(client, world, dana, appointment):
    client.force_login(dana)
    share(client, appointment)
    client.force_login(world.alice.user)
    response = client.post(
        reverse("visits:record-comment", args=[appointment.pk]),
        {"body": "I also agreed to try the pool."},
    )
    assert response.status_code == 302
    assert "I also agreed to try the pool." in client.get(summary_url(appointment)).content.decode()
    comment = VisitComment.objects.get()
    assert comment.author == world.alice.user
    event = AuditEvent.objects.get(event="visit_record.commented")
    assert event.detail == {"record": comment.record_id, "chars": 30}
    client.force_login(dana)
    assert "I also agreed to try the pool." in client.get(edit_url(appointment)).content.decode()


def test_it_lets_a_parent_comment_for_their_child(client, world):
    nurse_appointment = Appointment.objects.create(
        patient=world.tom, care_team=world.team_a, starts_at=clock.now()
    )
    client.force_login(world.nina)
    share(client, nurse_appointment)
    client.force_login(world.paula)
    client.post(reverse("visits:record-comment", args=[nurse_appointment.pk]), {"body": "Thanks!"})
    event = AuditEvent.objects.get(event="visit_record.commented")
    assert event.actor == world.paula and event.acting_for == world.tom


def test_it_does_not_let_the_care_team_comment_as_the_patient(client, world, dana, appointment):
    client.force_login(dana)
    share(client, appointment)
    response = client.post(
        reverse("visits:record-comment", args=[appointment.pk]), {"body": "From the team"}
    )
    assert response.status_code == 404
    assert not VisitComment.objects.exists()


def test_it_refuses_comments_on_a_draft(client, world, dana, appointment):
    client.force_login(dana)
    client.post(edit_url(appointment), {**STEPS, "action": "save"})
    client.force_login(world.alice.user)
    response = client.post(
        reverse("visits:record-comment", args=[appointment.pk]), {"body": "Hello"}
    )
    assert response.status_code == 404
    assert not VisitComment.objects.exists()


def test_it_never_edits_a_comment(client, world, dana, appointment):
    client.force_login(dana)
    share(client, appointment)
    with transaction.atomic():
        comment = records.add_comment(
            actor=world.alice.user,
            visit_record=VisitRecord.objects.get(),
            body="First thoughts",
        )
    comment.body = "Rewritten"
    with pytest.raises(ValueError, match="never edited"):
        comment.save()


def test_it_refuses_an_empty_or_overlong_comment(world, dana, appointment):
    with transaction.atomic():
        visit_record, _ = records.start_record(actor=dana, appointment=appointment)
        records.save_record(actor=dana, visit_record=visit_record, data=STEPS, share=True)
    for body in ("   ", "x" * 1001):
        with pytest.raises(ValidationError):
            records.add_comment(actor=world.alice.user, visit_record=visit_record, body=body)


def _postvisit_invitations(appointment):
    return Invitation.objects.filter(appointment=appointment)


def test_it_invites_the_patient_to_collaborate_once_when_shared(client, dana, appointment):
    client.force_login(dana)
    share(client, appointment)
    share(client, appointment)  # a second click
    client.post(edit_url(appointment), {"action": "attended"})
    invitation = _postvisit_invitations(appointment).get()
    assert invitation.instruments == ["collaborate"]
    assert invitation.patient == appointment.patient
    assert AuditEvent.objects.filter(event="visit.collaborate_invited").count() == 1


def test_it_invites_the_patient_when_the_visit_is_marked_attended(client, dana, appointment):
    client.force_login(dana)
    client.post(edit_url(appointment), {"action": "attended"})
    client.post(edit_url(appointment), {"action": "attended"})
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert _postvisit_invitations(appointment).count() == 1
    share(client, appointment)
    assert _postvisit_invitations(appointment).count() == 1
    assert AuditEvent.objects.filter(event="visit.attended").count() == 1


def _post_visit_schedule(patient):
    program = Program.objects.create(slug="ra", name="RA")
    schedule = Schedule.objects.create(
        program=program,
        name="After your visit",
        kind=ScheduleKind.POSTVISIT,
        instruments=["collaborate"],
        hours_after=2,
    )
    Enrollment.objects.create(patient=patient, program=program)
    return schedule


def test_it_uses_the_programs_post_visit_schedule_so_the_planner_adds_none(
    world, dana, appointment
):
    schedule = _post_visit_schedule(world.alice)
    with transaction.atomic():
        invitation, created = records.invite_to_collaborate(actor=dana, appointment=appointment)
    assert created and invitation.schedule == schedule
    assert invitation.due_at == appointment.starts_at + dt.timedelta(minutes=15, hours=2)
    sync_patient(world.alice)
    assert _postvisit_invitations(appointment).count() == 1


def test_it_finds_the_invitation_the_planner_already_made(world, dana, appointment):
    _post_visit_schedule(world.alice)
    sync_patient(world.alice)
    planned = _postvisit_invitations(appointment).get()
    with transaction.atomic():
        invitation, created = records.invite_to_collaborate(actor=dana, appointment=appointment)
    assert invitation == planned and not created
