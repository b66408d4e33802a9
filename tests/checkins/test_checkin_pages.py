import datetime as dt

import pytest
from django.test import Client

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import CheckinResponse, Invitation, InvitationStatus
from coproduce.checkins.scheduling import on_demand
from coproduce.checkins.tokens import issue_token
from coproduce.platform import clock

PHQ_HIGH = "LA6570-1"  # "More than half the days" (2)
PHQ_NONE = "LA6568-5"
PHQ_SOME = "LA6569-3"


@pytest.fixture
def opened(alice):
    """An open on-demand check-in for Alice (PEG + PHQ-9) and its link token."""
    inv = on_demand(alice, ["peg", "phq9"], now=clock.now() - dt.timedelta(minutes=1))
    return inv, issue_token(inv, purpose="invitation")


def _answer_all(client, token, item9=PHQ_SOME):
    """Answer every page; return the redirect to the review page (which holds the free text)."""
    client.post(f"/c/{token}/1/", {"peg-1": 5, "peg-2": 6, "peg-3": 7, "action": "next"})
    phq9 = {"phq9-1": PHQ_HIGH, "phq9-2": PHQ_HIGH}
    phq9 |= {f"phq9-{n}": PHQ_NONE for n in (3, 4, 5, 6, 7, 8)} | {"phq9-9": item9}
    client.post(f"/c/{token}/2/", phq9 | {"action": "next"})  # the PHQ-9 is one page
    return client.post(f"/c/{token}/3/", {"action": "next"})  # item 10 is optional


SEND = {"free_text": "Knee worse"}


def test_it_opens_the_check_in_from_the_link_without_a_password(client, opened):
    inv, token = opened
    page = client.get(f"/c/{token}/")
    assert page.status_code == 200
    assert "Hello, Alice" in page.content.decode()
    assert AuditEvent.objects.filter(event="checkin.opened", patient=inv.patient).exists()


def test_it_shows_a_scale_as_a_row_of_buttons_and_the_progress(client, opened):
    _, token = opened
    html = client.get(f"/c/{token}/1/").content.decode()
    assert "Page 1 of 4" in html  # PEG, PHQ-9 items 1-9, item 10, review with the free text
    assert html.count('type="radio" name="peg-1"') == 11
    assert 'type="range"' not in html


def test_it_asks_the_rest_of_the_phq9_only_after_a_positive_screen(client, opened):
    inv, token = opened
    Invitation.objects.filter(pk=inv.pk).update(screening=True)
    client.post(f"/c/{token}/1/", {"peg-1": 5, "peg-2": 6, "peg-3": 7, "action": "next"})
    client.post(f"/c/{token}/2/", {"phq9-1": PHQ_NONE, "phq9-2": PHQ_SOME, "action": "next"})
    assert "phq9-3" not in client.get(f"/c/{token}/3/").content.decode()
    client.post(f"/c/{token}/2/", {"phq9-1": PHQ_HIGH, "phq9-2": PHQ_SOME, "action": "next"})
    assert 'name="phq9-3"' in client.get(f"/c/{token}/3/").content.decode()


def test_it_asks_again_for_a_required_answer_without_losing_the_others(client, opened):
    _, token = opened
    page = client.post(f"/c/{token}/1/", {"peg-1": 5, "action": "next"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please choose an answer" in html and 'value="5" checked' in html


def test_it_keeps_answers_when_going_back_and_resumes_on_another_device(client, opened):
    inv, token = opened
    client.post(f"/c/{token}/1/", {"peg-1": 5, "peg-2": 6, "peg-3": 7, "action": "next"})
    client.post(f"/c/{token}/2/", {"phq9-1": PHQ_SOME, "action": "back"})
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.IN_PROGRESS
    assert inv.draft["answers"]["phq9"] == {"phq9-1": PHQ_SOME}
    other_device = Client()
    start = other_device.get(f"/c/{token}/").content.decode()
    assert "Carry on" in start
    assert 'value="6" checked' in other_device.get(f"/c/{token}/1/").content.decode()
    stopped = other_device.post(f"/c/{token}/2/", {"phq9-1": PHQ_SOME, "action": "stop"})
    assert "Your answers are saved" in stopped.content.decode()


def test_it_submits_from_the_review_and_shows_crisis_help(client, opened):
    _inv, token = opened
    review = _answer_all(client, token)
    assert review.status_code == 302
    html = client.get(review["Location"]).content.decode()
    assert "Check your answers" in html and "Several days" in html
    assert html.count("<textarea") == 1  # one free-text box per check-in
    done = client.post(f"/c/{token}/send/", SEND, follow=True)
    html = done.content.decode()
    assert "Help is available right now" in html and "112" in html
    assert "What your care team will do" in html
    assert CheckinResponse.objects.get().free_text == "Knee worse"
    # Tapping "Send" again shows the same result and stores nothing new.
    again = client.post(f"/c/{token}/send/", follow=True)
    assert "Help is available right now" in again.content.decode()
    assert CheckinResponse.objects.count() == 1


def test_it_shows_no_crisis_box_when_item_9_is_zero(client, opened):
    _, token = opened
    _answer_all(client, token, item9=PHQ_NONE)
    html = client.post(f"/c/{token}/send/", follow=True).content.decode()
    assert "Help is available right now" not in html and "Thank you, Alice" in html


def test_it_refuses_a_used_link_kindly(client, opened):
    _, token = opened
    _answer_all(client, token)
    client.post(f"/c/{token}/send/")
    page = Client().get(f"/c/{token}/")
    assert page.status_code == 410
    assert "already sent this check-in" in page.content.decode()


def test_it_refuses_an_expired_link_kindly(client, opened):
    inv, token = opened
    Invitation.objects.filter(pk=inv.pk).update(expires_at=clock.now())
    page = client.get(f"/c/{token}/1/")
    assert page.status_code == 410
    assert "This check-in has closed" in page.content.decode()


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:20], lambda t: "x" * 43],
)
def test_it_refuses_a_tampered_link_kindly(client, opened, mangle):
    _, token = opened
    page = client.get(f"/c/{mangle(token)}/")
    assert page.status_code == 404
    assert "We could not open this check-in" in page.content.decode()
    assert AuditEvent.objects.filter(event="checkin.refused").exists()


def test_it_opens_only_its_own_check_in_not_the_portal(client, opened, world):
    _, token = opened
    bob = on_demand(world.tom, ["pain-nrs"], now=clock.now())
    client.get(f"/c/{token}/")
    assert client.get("/me/").status_code == 302  # still not logged in
    # The token is tied to Alice's invitation: nothing in the URL reaches Tom's.
    assert client.get(f"/checkins/{bob.pk}/start/").status_code in (302, 405)
    assert client.post(f"/checkins/{bob.pk}/start/").status_code == 302  # to the login page
    html = client.get(f"/c/{token}/1/").content.decode()
    assert "peg-1" in html and "pain-nrs" not in html


def test_it_says_not_sent_and_still_shows_crisis_help_when_the_database_fails(
    client, opened, broken_database
):
    inv, token = opened
    _answer_all(client, token)
    page = client.post(f"/c/{token}/send/", SEND)
    html = page.content.decode()
    assert page.status_code == 503
    assert "Your check-in was not sent yet" in html and "Send again" in html
    # The default country's lines (COPRODUCE_DEFAULT_COUNTRY, Sweden), numbers as tel: links.
    assert "Help is available right now" in html
    assert '<a class="tel" href="tel:90101">90101</a>' in html
    # Nobody was told, so the page must not say the team was.
    assert "has NOT been told yet" in html and "has been told" not in html
    assert CheckinResponse.objects.count() == 0
    inv.refresh_from_db()
    assert inv.status != InvitationStatus.COMPLETED and inv.draft["free_text"] == "Knee worse"
    broken_database()  # the database is back: "Send again" works
    done = client.post(f"/c/{token}/send/", follow=True)
    assert "Thank you, Alice" in done.content.decode()
    assert CheckinResponse.objects.get().free_text == "Knee worse"


def test_it_says_the_message_limit_before_the_patient_sends(client, opened):
    _, token = opened
    review = _answer_all(client, token)["Location"]  # the review page holds the one box
    client.post(f"/c/{token}/send/", {"free_text": "a" * 4001})  # refused, kept nowhere
    html = client.get(review).content.decode()
    assert 'maxlength="4000"' in html and "You can write up to 4000 characters." in html
    assert 'id="free_text-count"' in html and "checkins/counter.js" in html
    assert "0 of 4000 characters used." in html


def test_it_refuses_a_too_long_message_with_a_clear_message_and_cuts_nothing(client, opened):
    inv, token = opened
    _answer_all(client, token)
    long_text = "a" * 4001
    page = client.post(f"/c/{token}/send/", {"free_text": long_text})
    html = page.content.decode()
    assert page.status_code == 400
    assert "Your message is 4,001 characters long; the most we can send is 4,000." in html
    assert "shorten it by 1 character." in html
    assert long_text in html  # shown back whole, for the patient to shorten
    assert CheckinResponse.objects.count() == 0  # nothing was sent
    inv.refresh_from_db()
    assert (inv.draft or {}).get("free_text", "") == ""  # the draft was neither cut nor replaced
    fits = client.post(f"/c/{token}/send/", {"free_text": "b" * 4000})
    assert fits.status_code == 302
    assert CheckinResponse.objects.get().free_text == "b" * 4000
