"""The advisory panel: survey links through the outbox, answers once, what the team sees."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from coproduce.audit.models import AuditEvent
from coproduce.checkins.tokens import digest, scrub_links
from coproduce.people.models import Patient
from coproduce.platform import clock
from coproduce.platform.models import Notification
from coproduce.research import panel
from coproduce.research.incentive_models import LedgerEntry
from coproduce.research.panel_models import MaterialVersion, SurveyInvitation, SurveyResponse
from tests.research.panel_world import make_member, make_survey

NOW = dt.datetime(2026, 5, 4, 15, 0, tzinfo=dt.UTC)
LINK = re.compile(r"(/panel/survey/[A-Za-z0-9_-]{32,64}/)")


@pytest.fixture(autouse=True)
def _clock():
    with clock.frozen(NOW):
        yield


def _link_for(member) -> str:
    body = Notification.objects.filter(purpose="panel_survey", to=member.email).latest("pk").body
    return LINK.search(body).group(1)


def test_it_sends_each_active_member_a_single_use_link_by_email(advisory):
    gone = make_member(advisory.panel, left_on=dt.date(2026, 4, 1))
    tokens = panel.send_survey(advisory.survey, by=None)
    assert set(tokens) == {advisory.pat.pk, advisory.lee.pk}
    mail = Notification.objects.get(purpose="panel_survey", to=advisory.pat.email)
    assert mail.channel == "email" and mail.patient is None
    assert tokens[advisory.pat.pk] in mail.body
    # Only the digest is stored, and the link is scrubbed from the body after sending.
    invitation = SurveyInvitation.objects.get(member=advisory.pat)
    assert invitation.digest == digest(tokens[advisory.pat.pk])
    assert tokens[advisory.pat.pk] not in scrub_links(mail.body)
    assert not SurveyInvitation.objects.filter(member=gone).exists()
    # Sending again asks nobody twice.
    assert panel.send_survey(advisory.survey, by=None) == {}


def test_it_stores_the_answers_once_and_the_link_then_says_thank_you(client, advisory):
    panel.send_survey(advisory.survey, by=None)
    link = _link_for(advisory.pat)
    page = client.get(link)
    assert page.status_code == 200 and b"What EMPOWER is." in page.content
    form = {"clear": "Yes", "change": "Say who to call."}
    assert client.post(link, form).status_code == 302
    assert client.post(link, {"clear": "No"}).status_code == 200  # a double submit
    response = SurveyResponse.objects.get(invitation__member=advisory.pat)
    assert response.answers == {"clear": "Yes", "change": "Say who to call."}
    assert LedgerEntry.objects.filter(member=advisory.pat).count() == 1
    thanks = client.get(link)
    assert b"$10.00 is added to your incentives" in thanks.content
    assert AuditEvent.objects.filter(event="panel.survey_answered").count() == 1


def test_a_missing_choice_is_refused_and_nothing_is_stored(client, advisory):
    panel.send_survey(advisory.survey, by=None)
    link = _link_for(advisory.pat)
    page = client.post(link, {"clear": "Maybe", "change": "x"})
    assert page.status_code == 400 and b"Choose one answer." in page.content
    assert not SurveyResponse.objects.exists() and not LedgerEntry.objects.exists()


def test_unknown_and_expired_links_are_refused(client, advisory):
    panel.send_survey(advisory.survey, by=None)
    link = _link_for(advisory.pat)
    assert client.get("/panel/survey/" + "x" * 43 + "/").status_code == 404
    with clock.frozen(NOW + dt.timedelta(days=panel.LINK_DAYS + 1)):
        assert client.get(link).status_code == 410
        assert client.post(link, {"clear": "Yes"}).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_panel_members_are_never_patients(advisory):
    before = Patient.objects.count()
    make_member(advisory.panel)
    panel.send_survey(advisory.survey, by=None)
    assert Patient.objects.count() == before
    assert not hasattr(advisory.pat.user, "patient") or advisory.pat.user.patient is None
    assert not Notification.objects.filter(purpose="panel_survey", patient__isnull=False).exists()


def test_the_make_up_table_hides_groups_smaller_than_the_registry_threshold(advisory):
    for region in ("Midwest ", " midwest", "MIDWEST", "Midwest"):  # one group: "Midwest"
        make_member(advisory.panel, region=region)
    for _ in range(2):
        make_member(advisory.panel, region="Northeast")
    table = panel.representativeness(advisory.panel, on=NOW.date())
    regions = {g.label: (g.count, g.percent) for g in table["Region"]}
    assert regions["Midwest"] == (5, 62)  # 5 of 8 members
    assert regions["Northeast"] == (None, None) and regions["South"] == (None, None)


def test_feedback_is_kept_per_version(advisory):
    newer = MaterialVersion.objects.create(
        material=advisory.version.material, version="1.1", content="Plainer."
    )
    second = make_survey(advisory.panel, newer, "Version 1.1")
    for survey, answer in ((advisory.survey, "No"), (second, "Yes")):
        panel.send_survey(survey, by=None)
        for inv in survey.invitations.all():
            panel.submit(inv, {"clear": answer, "change": f"about {survey.title}"})
    versions = panel.feedback(advisory.version.material)
    assert [v.version for v, _ in versions] == ["1.0", "1.1"]
    first_q = {v.version: f[0].questions[0].tallies for v, f in versions}
    assert first_q == {"1.0": [("Yes", 0), ("No", 2)], "1.1": [("Yes", 2), ("No", 0)]}
    assert versions[1][1][0].questions[1].comments == ["about Version 1.1"] * 2


def test_a_member_answers_from_their_home_page(client, advisory):
    panel.send_survey(advisory.survey, by=None)
    client.force_login(advisory.pat.user)
    home = client.get(reverse("panel-home"))
    url = reverse("panel-survey-member", args=[advisory.pat.invitations.get().pk])
    assert url.encode() in home.content
    assert client.post(url, {"clear": "Yes"}).status_code == 302
    assert b"You have earned $10.00 this year" in client.get(reverse("panel-home")).content
