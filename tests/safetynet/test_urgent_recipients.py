"""Who hears an urgent alert is decided in one place (safetynet/recipients.py).

The submit reads the contacts inside its one snapshot statement; the jobs (escalation,
reassignment, failed sends) read them with `load_contacts`. Both run the SQL of
`contact_sql` and decide with `who_hears`; these cases prove the two readings agree.
"""

from __future__ import annotations

import datetime as dt

import pytest

from coproduce.people.models import Role
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.facts import load_snapshot
from coproduce.safetynet.jobs import escalate_overdue
from coproduce.safetynet.models import Alert
from coproduce.safetynet.recipients import load_contacts, who_hears
from tests import factories

T0 = dt.datetime(2026, 2, 27, 22, 0, tzinfo=dt.UTC)  # a Friday night, month end next day

CASES = {
    "nurse and clinician": [("nurse", "a@x.org", True), ("clinician", "b@x.org", True)],
    "clinician only": [("clinician", "b@x.org", True)],
    "an inactive nurse": [("nurse", "a@x.org", False), ("clinician", "b@x.org", True)],
    "no addresses": [("nurse", "", True), ("clinician", "", True)],
    "a researcher is not the team": [("researcher", "r@x.org", True)],
    "a coordinator": [("coordinator", "c@x.org", True)],
    "nobody": [],
}
SITES = {
    "no contact": {},
    "on-call e-mail": {"urgent_email": "on-call@x.org"},
    "on-call phone": {"urgent_phone": "+46 70 000 00 00"},
    "both": {"urgent_email": "on-call@x.org", "urgent_phone": "+46 70 000 00 00"},
}


def _set_up(world, members, site_fields):
    site = world.team_a.site
    for name, value in site_fields.items():
        setattr(site, name, value)
    site.save()
    world.nina.memberships.all().delete()
    world.cora.memberships.all().delete()
    for role, email, active in members:
        factories.make_user(role, teams=[world.team_a], email=email, is_active=active)
    # Someone on another team and a registry admin: only the admin is a fallback.
    factories.make_user(Role.NURSE, teams=[world.team_b], email="other@x.org")
    world.adam.email = "adam@x.org"
    world.adam.save()


@pytest.mark.parametrize("site_case", sorted(SITES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_submit_and_the_jobs_agree_on_who_hears(world, case, site_case):
    _set_up(world, CASES[case], SITES[site_case])
    snapshot = load_snapshot(
        patient_id=world.alice.pk, at=T0, now=T0, instruments=set(), exclude_response=None
    )
    jobs = load_contacts(world.team_a.pk)
    for level in (0, 1, 2):
        assert who_hears(snapshot.contacts, level) == who_hears(jobs, level), (case, level)
    hearers = who_hears(jobs, 0)
    addresses = {a.to for a in hearers.addresses}
    assert "other@x.org" not in addresses and "r@x.org" not in addresses
    assert hearers.reached == (addresses != {"adam@x.org"}), addresses
    if site_case != "no contact":
        assert hearers.reached


def _overdue(world) -> Alert:
    """An open urgent alert of Alice's, due an hour after T0."""
    return Alert.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        rule_id="crisis-phq9-item9",
        priority=Priority.URGENT,
        reason="PHQ-9 item 9 above 0",
        created_at=T0,
        ack_due_at=T0 + dt.timedelta(hours=1),
    )


def test_an_escalation_reaches_the_clinicians_and_the_sites_urgent_contact(world):
    _set_up(
        world,
        [("nurse", "a@x.org", True), ("clinician", "b@x.org", True)],
        {"urgent_email": "on-call@x.org"},
    )
    alert = _overdue(world)
    assert escalate_overdue(T0 + dt.timedelta(hours=1)) == [alert]
    told = Notification.objects.filter(alert=alert, purpose="escalation")
    assert sorted(told.values_list("to", flat=True)) == ["b@x.org", "on-call@x.org"]


def test_an_escalation_with_nobody_to_tell_goes_to_the_registry_admins_once(world):
    _set_up(world, [], {})
    alert = _overdue(world)
    escalate_overdue(T0 + dt.timedelta(hours=1))
    escalate_overdue(T0 + dt.timedelta(hours=2))  # the next level: still nobody
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and alert.unreached_at == T0 + dt.timedelta(hours=1)
    told = Notification.objects.filter(alert=alert)
    assert list(told.values_list("to", "purpose")) == [("adam@x.org", "unreached")]
