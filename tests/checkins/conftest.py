"""Check-in fixtures: a taper program with a weekly schedule, and a fixed clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from coproduce.checkins import outbox
from coproduce.checkins.models import Program, Schedule, ScheduleKind
from coproduce.checkins.scheduling import enroll
from coproduce.platform import delivery, sms

# Monday 2 March 2026, 07:00 UTC = 08:00 in Stockholm; the weekly check-in is due at 09:00.
MONDAY = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)
DUE = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://[^\s]+/c/([A-Za-z0-9_-]+)/")


# Answers that fill a PHQ-9 + PEG check-in (PHQ-2 positive, item 9 as given).
def full_answers(item9: int = 0, peg: int = 5) -> dict:
    phq = {f"phq9-{n}": 2 for n in range(1, 9)}
    phq["phq9-9"] = item9
    return {"peg": {"peg-1": peg, "peg-2": peg, "peg-3": peg}, "phq9": phq}


@pytest.fixture(autouse=True)
def _empty_outboxes():
    sms.outbox.clear()
    mail.outbox = []


@pytest.fixture
def program(db) -> Program:
    return Program.objects.create(slug="taper", name="Opioid taper")


@pytest.fixture
def weekly(program) -> Schedule:
    return Schedule.objects.create(
        program=program,
        name="Weekly",
        kind=ScheduleKind.WEEKLY,
        instruments=["peg", "phq9"],
        weekday=0,
        local_time=dt.time(9, 0),
        reminder_days=[2, 4],
        expires_after_days=7,
    )


@pytest.fixture
def alice(world):
    world.alice.email = "alice@example.org"
    world.alice.save()
    return world.alice


@pytest.fixture
def enrolled(alice, weekly, program):
    enroll(alice, program, actor=None, now=MONDAY, started_on=MONDAY.date())
    return alice


def sent_link(now=DUE) -> str:
    """Dispatch and send what is due at `now`; return the token of the last e-mailed link."""
    outbox.dispatch_due(now)
    delivery.send_pending(now)
    assert mail.outbox, "no e-mail was sent"
    return LINK.search(mail.outbox[-1].body).group(1)


@pytest.fixture
def broken_database():
    """Make the database itself refuse new responses (a real error, raised by a trigger);
    the fixture's value repairs it."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON checkins_checkinresponse "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON checkins_checkinresponse "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )

    def repair():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER IF EXISTS refuse ON checkins_checkinresponse")
                cursor.execute("DROP FUNCTION IF EXISTS refuse()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS refuse")

    yield repair
    repair()
