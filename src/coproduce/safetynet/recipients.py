"""Who hears an urgent alert: decided here, once, for the submit and for every job.

An urgent alert goes to the team members who handle urgent alerts (care roles with an e-mail
address; by escalation level: 0 the nurses, 1 the clinicians, 2 everyone, an empty rung
falling through to every member) AND to the site's urgent contact (its on-call e-mail, and
its phone by text message where a real SMS provider is set up). When none of them has an
address the alert is *unreached*: the registry admins are e-mailed instead, the patient is
told plainly to call the clinic, and every staff page shows it until someone acts.

The facts come from `contact_sql`, which is part of the submit's one snapshot statement (so
the submit learns them without another round trip, see facts.py) and which `load_contacts`
runs on its own for the jobs that start from an alert (escalation, reassignment, failed
sends). `read_contact` turns its rows into `Contacts`; `who_hears` is the one decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from coproduce.people.models import CARE_ROLES, CareTeam, CareTeamMembership, Role, Site, User
from coproduce.platform.batch import prepared_cursor
from coproduce.platform.models import Channel
from coproduce.platform.sms import delivers_to_people

CONTACT_KINDS = frozenset({"member", "contact", "admin"})


@dataclass(frozen=True)
class Address:
    """One place an alert is sent; `key` names the recipient in the outbox's dedupe keys."""

    key: str
    channel: str
    to: str


@dataclass
class Contacts:
    """Everyone who may hear an urgent alert of one care team."""

    members: list[User] = field(default_factory=list)  # care roles with an e-mail address
    site_id: int | None = None
    site_email: str = ""
    site_phone: str = ""
    admins: list[User] = field(default_factory=list)  # registry admins with an e-mail address


@dataclass
class Hearers:
    addresses: list[Address]
    reached: bool  # the team or the site's urgent contact has an address (not only admins)


def rung(members: list[User], level: int) -> list[User]:
    """Who of the team hears at an escalation level: 0 nurses, 1 clinicians, 2 everyone.

    An empty rung falls through to every member, so an alert never goes nowhere.
    """
    wanted = {0: {Role.NURSE}, 1: {Role.CLINICIAN}}.get(level)
    chosen = [u for u in members if wanted is None or u.role in wanted]
    return chosen or members


def user_address(user: User) -> Address:
    return Address(f"u{user.pk}", Channel.EMAIL, user.email)


def who_hears(contacts: Contacts, level: int = 0) -> Hearers:
    """The addresses an urgent alert goes to at `level`, and whether the team is reached."""
    out = [user_address(u) for u in rung(contacts.members, level)] + site_addresses(contacts)
    if out:
        return Hearers(out, reached=True)
    return Hearers(admin_addresses(contacts), reached=False)


def site_addresses(contacts: Contacts) -> list[Address]:
    """The site's urgent contact: its e-mail, and its phone where an SMS reaches a phone."""
    out = []
    if contacts.site_email:
        out.append(Address(f"s{contacts.site_id}", Channel.EMAIL, contacts.site_email))
    if contacts.site_phone and delivers_to_people():
        out.append(Address(f"s{contacts.site_id}p", Channel.SMS, contacts.site_phone))
    return out


def admin_addresses(contacts: Contacts) -> list[Address]:
    """Where an unreached alert is escalated: the registry admins."""
    return [Address(f"a{u.pk}", Channel.EMAIL, u.email) for u in contacts.admins]


# --- the rows --------------------------------------------------------------------------------


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def contact_sql(team: str) -> list[str]:
    """SELECTs (six columns, as in the snapshot) of one team's contacts; `team` is SQL for
    the team's id (a `%s`, or a subquery with one `%s`). Parameters: see `contact_params`."""
    roles = ", ".join(["%s"] * len(CARE_ROLES))
    return [
        f"SELECT 'member', u.email, u.role, NULL, NULL, u.id FROM {_table(User)} u "
        f"JOIN {_table(CareTeamMembership)} m ON m.user_id = u.id "
        f"WHERE m.care_team_id = {team} AND u.is_active = %s AND u.email <> '' "
        f"AND u.role IN ({roles})",
        f"SELECT 'contact', s.urgent_email, s.urgent_phone, NULL, NULL, s.id "
        f"FROM {_table(Site)} s JOIN {_table(CareTeam)} t ON t.site_id = s.id WHERE t.id = {team}",
        f"SELECT 'admin', u.email, u.role, NULL, NULL, u.id FROM {_table(User)} u "
        "WHERE u.role = %s AND u.is_active = %s AND u.email <> ''",
    ]


def contact_params(team: Any) -> list[Any]:
    """The parameters of `contact_sql` for `team` (the value its `%s` stands for)."""
    return [team, True, *sorted(CARE_ROLES), team, Role.REGISTRY_ADMIN.value, True]


def read_contact(contacts: Contacts, kind: str, name: Any, text: Any, row_id: Any) -> None:
    """Add one row of `contact_sql` to `contacts`."""
    if kind == "member":
        contacts.members.append(User(pk=int(row_id), email=name, role=text))
        contacts.members.sort(key=lambda u: u.pk)
    elif kind == "contact":
        contacts.site_id = int(row_id)
        contacts.site_email = (name or "").strip()
        contacts.site_phone = (text or "").strip()
    elif kind == "admin":
        contacts.admins.append(User(pk=int(row_id), email=name, role=text))
        contacts.admins.sort(key=lambda u: u.pk)


def load_contacts(team_id: int) -> Contacts:
    """Read one care team's contacts in one query (the same SQL as the submit's snapshot)."""
    contacts = Contacts()
    with prepared_cursor(connection) as cursor:
        cursor.execute(" UNION ALL ".join(contact_sql("%s")), contact_params(team_id))
        for kind, name, text, _at, _num, row_id in cursor.fetchall():
            read_contact(contacts, kind, name, text, row_id)
    return contacts
