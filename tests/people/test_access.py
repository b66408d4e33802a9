import datetime as dt
import re

import pytest
from django.http import Http404

from coproduce.audit.models import AuditEvent
from coproduce.people.access import (
    can_answer_for,
    get_patient_for,
    majority_cutoff,
    patients_visible_to,
)
from coproduce.people.models import ProxyKind, Role
from coproduce.people.services import grant_adult_access
from tests import factories


def visible(user, **kw):
    return set(patients_visible_to(user, **kw).values_list("registry_id", flat=True))


def test_it_shows_staff_the_patients_of_their_care_teams(world):
    assert visible(world.nina) == {world.alice.registry_id, world.tom.registry_id}


def test_it_hides_patients_of_another_team_at_the_same_site(world):
    other_team = factories.make_team(world.team_a.site, "Other team")
    stranger = factories.make_patient(other_team)
    assert stranger.registry_id not in visible(world.nina)


def test_it_hides_patients_of_another_site(world):
    assert visible(world.carl) == set()
    with pytest.raises(Http404):
        get_patient_for(world.carl, world.alice.registry_id)


def test_it_answers_forbidden_exactly_like_missing(world):
    with pytest.raises(Http404) as forbidden:
        get_patient_for(world.carl, world.alice.registry_id)
    with pytest.raises(Http404) as missing:
        get_patient_for(world.carl, "CP-NOPE0000")
    assert str(forbidden.value) == str(missing.value)


def test_it_shows_a_patient_only_themselves(world):
    other = factories.make_patient(world.team_a, login=True)
    assert visible(world.alice.user) == {world.alice.registry_id}
    assert visible(other.user) == {other.registry_id}


def test_it_shows_a_parent_only_the_child_they_act_for(world):
    assert visible(world.paula) == {world.tom.registry_id}
    assert can_answer_for(world.paula, world.tom)
    assert not can_answer_for(world.paula, world.alice)


def test_it_gives_research_qi_and_admin_roles_no_patient_rows(world):
    for user in (world.ruth, world.quinn, world.adam):
        assert visible(user) == set()


def test_it_ends_parent_access_on_the_18th_birthday(world):
    birthday = dt.date(2008, 3, 10)
    teen = factories.make_patient(world.team_a, born=birthday)
    factories.link_proxy(world.paula, teen)
    day_before = dt.date(2026, 3, 9)
    on_birthday = dt.date(2026, 3, 10)
    assert teen.registry_id in visible(world.paula, today=day_before)
    assert teen.registry_id not in visible(world.paula, today=on_birthday)
    assert not can_answer_for(world.paula, teen, today=on_birthday)


def test_it_keeps_parent_access_after_18_when_the_patient_grants_it(world):
    adult = factories.make_patient(world.team_a, born=dt.date(2000, 1, 1), login=True)
    link = factories.link_proxy(world.paula, adult)
    assert adult.registry_id not in visible(world.paula)
    grant_adult_access(patient_user=adult.user, link=link)
    assert adult.registry_id in visible(world.paula)


def test_it_lets_family_read_access_continue_for_adults(world):
    factories.link_proxy(world.paula, world.alice, kind=ProxyKind.FAMILY_READ)
    assert world.alice.registry_id in visible(world.paula)
    assert not can_answer_for(world.paula, world.alice)


def test_it_forgets_a_revoked_link(world):
    link = world.tom.proxy_links.get(user=world.paula)
    link.revoked_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    link.save()
    assert visible(world.paula) == set()


def test_it_does_not_mix_one_link_with_another_patients_grant(world):
    # Paula's revoked link to an adult must not be revived by her valid link to Tom.
    adult = factories.make_patient(world.team_a, born=dt.date(1990, 1, 1))
    link = factories.link_proxy(world.paula, adult, kind=ProxyKind.FAMILY_READ)
    link.revoked_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    link.save()
    assert adult.registry_id not in visible(world.paula)


def test_it_sees_nothing_for_an_inactive_user(world):
    world.nina.is_active = False
    world.nina.save()
    assert visible(world.nina) == set()


def test_it_audits_every_read_through_the_helper(world):
    before = AuditEvent.objects.count()
    get_patient_for(world.nina, world.alice.registry_id)
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.event, event.actor, event.patient) == ("patient.viewed", world.nina, world.alice)


def test_it_records_whom_a_parent_acts_for(world):
    get_patient_for(world.paula, world.tom.registry_id)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.acting_for == world.tom
    assert event.actor_role == Role.FAMILY


@pytest.mark.parametrize(
    ("today", "cutoff"),
    [(dt.date(2026, 11, 24), dt.date(2008, 11, 24)), (dt.date(2028, 2, 29), dt.date(2010, 2, 28))],
)
def test_it_computes_the_majority_cutoff_including_leap_days(today, cutoff):
    assert majority_cutoff(today) == cutoff


# --- A teen's confidential answers and the parent --------------------------------------------

PHQ9_ITEM9 = {f"phq9-{n}": "LA6569-3" for n in range(1, 10)}  # "Several days", item 9 too


def _teen_phq9(world):
    from coproduce.checkins.services import submit_checkin
    from coproduce.safetynet.rules import sync_rules

    sync_rules()
    submit_checkin(
        patient=world.tom,
        answers={"phq9": PHQ9_ITEM9, "peg": {"peg-1": 5, "peg-2": 5, "peg-3": 5}},
        idempotency_key="teen-phq9",
        source="web",
    )


def _dashboard(client, user, patient):
    client.force_login(user)
    return client.get(f"/patients/{patient.registry_id}/dashboard/").content.decode()


def test_a_parent_does_not_see_a_teens_confidential_answers_but_the_team_is_told(client, world):
    from coproduce.safetynet.models import Alert

    _teen_phq9(world)
    parent_view = _dashboard(client, world.paula, world.tom)
    assert "PEG" in parent_view  # not confidential: shown as before
    assert "Little interest or pleasure" not in parent_view and "PHQ-9" not in parent_view
    assert "private between Tom and the care team" in parent_view
    # The red flag (item 9) reached the care team all the same.
    assert Alert.objects.filter(patient=world.tom, status="open").exists()
    nurse_view = _dashboard(client, world.nina, world.tom)
    assert "Little interest or pleasure" in nurse_view and "PHQ-9" in nurse_view


def test_a_site_may_show_the_parent_the_band_but_never_the_answers(client, world):
    site = world.tom.care_team.site
    site.teen_parent_sees_band = True
    site.save()
    _teen_phq9(world)
    parent_view = _dashboard(client, world.paula, world.tom)
    assert "(PHQ-9): <strong>Mild symptoms of depression</strong>" in parent_view
    assert "Little interest or pleasure" not in parent_view


def test_a_parent_sees_everything_of_a_child_below_the_teen_age(client, world):
    site = world.tom.care_team.site
    site.teen_login_age = 15  # Tom is 14: still a child here
    site.save()
    _teen_phq9(world)
    assert "Little interest or pleasure" in _dashboard(client, world.paula, world.tom)


def test_the_patients_view_says_what_the_team_is_doing_not_queue_counts(client, world):
    site = world.tom.care_team.site
    site.teen_login_age = 15  # Tom is 14: a child, whose parent is told of every alert
    site.save()
    _teen_phq9(world)
    parent_view = _dashboard(client, world.paula, world.tom)
    assert "open alert" not in parent_view and "What your care team is doing" in parent_view
    assert "someone from the team will call you soon" in parent_view
    assert "How much" not in parent_view  # no bare severity badges beside the answers
    nurse_view = _dashboard(client, world.nina, world.tom)
    assert "open alert" in nurse_view and "How much" in nurse_view


# --- A teen's confidential check-ins: the parent neither opens, answers nor is sent them ----


def _due(patient, instruments):
    from coproduce.checkins.scheduling import on_demand
    from coproduce.platform import clock

    return on_demand(patient, list(instruments), now=clock.now() - dt.timedelta(minutes=1))


def test_a_parent_is_not_offered_a_teens_check_in_of_confidential_questions_only(client, world):
    teens = _due(world.tom, ["phq9"])
    client.force_login(world.paula)
    assert "Start check-in" not in client.get("/checkins/").content.decode()
    assert client.post(f"/checkins/{teens.pk}/start/").status_code == 404


def test_a_parent_gets_a_clear_page_for_a_teens_confidential_link(client, world):
    from coproduce.checkins.tokens import issue_token

    teens = _due(world.tom, ["phq9"])
    token = issue_token(teens, purpose="invitation")  # e.g. the teen's link, forwarded
    client.force_login(world.paula)
    page = client.get(f"/c/{token}/")
    html = page.content.decode()
    assert page.status_code == 403
    assert "This check-in is for Tom to answer" in html
    assert "Little interest or pleasure" not in html and "PHQ-9" not in html
    assert client.get(f"/c/{token}/1/").status_code == 403


def test_a_parent_answers_the_rest_and_the_teens_confidential_questions_stay_the_teens(
    client, world
):
    from coproduce.checkins.models import CheckinResponse, Invitation

    mixed = _due(world.tom, ["peg", "phq9"])
    mixed.draft = {"answers": {"phq9": {"phq9-1": 2}}, "free_text": "Only for the nurse"}
    mixed.save()  # the teen had begun it
    client.force_login(world.paula)
    link = client.post(f"/checkins/{mixed.pk}/start/")["Location"]
    first = client.get(link).content.decode()
    assert "Little interest or pleasure" not in first
    client.post(link + "1/", {"peg-1": 4, "peg-2": 4, "peg-3": 4, "action": "next"})
    review = client.get(link + "2/").content.decode()
    assert "Check your answers" in review
    assert "Little interest" not in review and "PHQ-9" not in review
    assert "Only for the nurse" not in review
    client.post(link + "send/")
    response = CheckinResponse.objects.get(patient=world.tom)
    assert set(response.answers) == {"peg"} and response.submitted_by == world.paula
    # The teen's PHQ-9, with what he had answered and typed, waits for him alone.
    teens = Invitation.objects.get(patient=world.tom, instruments=["phq9"])
    assert teens.status == "scheduled"
    assert teens.draft == {"answers": {"phq9": {"phq9-1": 2}}, "free_text": "Only for the nurse"}
    assert client.post(f"/checkins/{teens.pk}/start/").status_code == 404


def test_a_parent_cannot_answer_a_teens_confidential_questions_through_the_api(client, world):
    client.force_login(world.paula)
    reply = client.post(
        "/api/v1/checkins/",
        {"patient": world.tom.registry_id, "answers": {"phq9": PHQ9_ITEM9}},
        content_type="application/json",
        headers={"Idempotency-Key": "paula-phq9"},
    )
    assert (
        reply.status_code == 403
        and "Tom answers these questionnaires themselves" in (reply.json()["detail"])
    )
    from coproduce.checkins.models import CheckinResponse

    assert not CheckinResponse.objects.filter(patient=world.tom).exists()


def test_a_parent_is_never_sent_a_teens_confidential_check_in(world):
    from coproduce.checkins import outbox
    from coproduce.checkins.models import Invitation
    from coproduce.checkins.tokens import invitation_for_token
    from coproduce.platform import clock
    from coproduce.platform.models import Notification

    world.paula.email = "paula@example.org"
    world.paula.save()
    only_private = _due(world.tom, ["phq9"])
    mixed = _due(world.tom, ["peg", "gad7", "phq9"])
    outbox.dispatch_due(clock.now())
    sent = list(Notification.objects.filter(to="paula@example.org"))
    assert len(sent) == 1  # the mixed one; the PHQ-9 alone waits on Tom's page
    only_private.refresh_from_db()
    assert only_private.status == "sent" and not only_private.tokens.exists()
    # The parent's link opens the other questions only; Tom's PHQ-9 is a check-in of his own.
    mixed.refresh_from_db()
    assert mixed.instruments == ["peg", "gad7"]
    link = re.search(r"/c/[A-Za-z0-9_-]+/", sent[0].body).group(0)
    assert invitation_for_token(link.split("/")[2], now=clock.now()).pk == mixed.pk
    teens = Invitation.objects.exclude(pk__in=[mixed.pk, only_private.pk]).get(patient=world.tom)
    assert teens.instruments == ["phq9"] and teens.status == "scheduled"
    outbox.dispatch_due(clock.now())
    assert Notification.objects.filter(to="paula@example.org").count() == 1


def test_a_teen_with_an_address_of_their_own_is_sent_the_confidential_check_in(world):
    from coproduce.checkins import outbox
    from coproduce.platform import clock
    from coproduce.platform.models import Notification

    world.tom.email = "tom@example.org"
    world.tom.save()
    _due(world.tom, ["peg", "phq9"])
    outbox.dispatch_due(clock.now())
    assert [n.to for n in Notification.objects.all()] == ["tom@example.org"]


def test_a_parent_does_not_learn_that_a_teens_confidential_answers_raised_an_alert(client, world):
    from coproduce.checkins.services import submit_checkin
    from coproduce.safetynet.models import Alert
    from coproduce.safetynet.rules import sync_rules

    sync_rules()
    submit_checkin(
        patient=world.tom, answers={"phq9": PHQ9_ITEM9}, idempotency_key="t", source="web"
    )
    assert Alert.objects.filter(patient=world.tom, status="open", priority=1).exists()
    parent_view = _dashboard(client, world.paula, world.tom)
    assert "call you soon" not in parent_view
    assert "Nothing from the check-ins is waiting for the team right now." in parent_view
    nurse_view = _dashboard(client, world.nina, world.tom)
    assert "open alert" in nurse_view and "Urgent" in nurse_view
