"""The demo study: every stage and withdrawal scope, work due today, a version pending."""

from __future__ import annotations

from collections import Counter

from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.research import consent, workspace
from coproduce.research.access import participants_for
from coproduce.research.models import Study
from coproduce.research.participants import Participant, Status, Withdrawal


def test_the_demo_study_has_people_at_every_stage_and_work_today(demo_rows):
    study = Study.objects.get(slug="empower")
    rows = Participant.objects.filter(study=study)
    assert 36 <= rows.count() <= 44
    statuses = Counter(rows.values_list("status", flat=True))
    for status in Status:
        assert statuses[status] >= 3, status
    scopes = Counter(Withdrawal.objects.values_list("scope", flat=True))
    assert all(scopes[s] >= 3 for s in ("intervention", "follow_up", "data")), scopes
    assert {p.site.slug for p in rows} == {"north", "harbour"}
    assert consent.pending_versions(study).filter(reconsent_required=True).exists()
    coordinator = User.objects.get(username="coordinator")
    assert not coordinator.care_teams.exists()
    mine = participants_for(coordinator, study)
    assert mine.count() == rows.count()
    # At any hour: the clinic's own date, not the server's (Stockholm is a day ahead of UTC
    # from 23:00 or 22:00).
    assert workspace.calls_due(mine, on=clock.clinic_today(rows.first().site)).exists()
    followed = workspace.followed_rows(mine, now=clock.now())
    assert any(r.overdue for r in followed)
    assert User.objects.get(username="pi").role == Role.INVESTIGATOR
    assert User.objects.get(username="statistician").role == Role.STATISTICIAN
