"""`coproduce appointments import`: good rows kept, bad ones refused by line, re-planned."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coproduce.checkins import previsit
from coproduce.checkins.models import InvitationStatus
from coproduce.platform import clock
from coproduce.visits.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"
MAP = """
patient_id = "mrn"
[columns]
id = "Id"
patient = "MRN"
start = "Start"
duration = "Min"
clinician = "Doc"
type = "Type"
status = "Status"
"""
HEADER = "Id,MRN,Start,Min,Doc,Type,Status\n"


@pytest.fixture
def clinic(world, tmp_path):
    world.alice.mrn = "M-1"
    world.alice.email = "alice@example.org"
    world.alice.save()
    factories.make_user("clinician", username="dora", teams=[world.team_a])
    (tmp_path / "map.toml").write_text(MAP)
    return world


def _day(days: int) -> str:
    return (clock.today() + dt.timedelta(days=days)).isoformat()


def run(tmp_path, body: str, *extra: str, capsys=None) -> tuple[int, str, str]:
    path = tmp_path / "appointments.csv"
    path.write_text(HEADER + body)
    code = 0
    try:
        call_command(
            "appointments",
            "import",
            str(path),
            "--map",
            str(tmp_path / "map.toml"),
            "--site",
            _site_slug(),
            *extra,
        )
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr() if capsys else None
    return code, out.out if out else "", out.err if out else ""


def _site_slug() -> str:
    from coproduce.people.models import Site

    return Site.objects.get(name="North Clinic").slug


def test_it_imports_good_rows_and_refuses_bad_ones_by_line_and_reason(clinic, tmp_path, capsys):
    body = (
        f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n"
        f"A2,NOPE,{_day(10)} 10:00,20,dora,Follow-up,booked\n"
        f"A3,M-1,next tuesday,20,dora,Follow-up,booked\n"
        f"A4,M-1,{_day(12)} 09:30,twenty,dora,Follow-up,booked\n"
        f"A5,M-1,{_day(13)} 09:30,20,nobody,Follow-up,booked\n"
        f"A6,M-1,{_day(14)} 09:30,20,dora,Follow-up,postponed\n"
    )
    code, out, err = run(tmp_path, body, capsys=capsys)
    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 5 refused" in out
    assert "line 3: refused: no patient with MRN 'NOPE' at North Clinic" in err
    assert "line 4: refused: start time 'next tuesday' is not a date and time" in err
    assert "line 5: refused: duration 'twenty' is not a whole number" in err
    assert "line 6: refused: no clinician 'nobody'" in err
    assert "line 7: refused: unknown status 'postponed'" in err
    appointment = Appointment.objects.get()
    assert (appointment.external_id, appointment.minutes, appointment.kind) == (
        "A1",
        20,
        "Follow-up",
    )
    assert appointment.clinician.username == "dora"
    local = appointment.starts_at.astimezone(clinic.team_a.site.zone)
    assert (local.date().isoformat(), local.time()) == (_day(10), dt.time(9, 30))
    invitation = previsit.invitation_of(appointment)
    assert invitation is not None and invitation.expires_at == appointment.starts_at


def test_it_changes_nothing_when_the_same_file_comes_again(clinic, tmp_path, capsys):
    body = f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n"
    assert run(tmp_path, body, capsys=capsys)[0] == 0
    invitation = previsit.invitation_of(Appointment.objects.get())
    code, out, _ = run(tmp_path, body, capsys=capsys)
    assert code == 0 and "0 created, 0 updated, 1 unchanged, 0 refused" in out
    assert Appointment.objects.count() == 1
    again = previsit.invitation_of(Appointment.objects.get())
    assert (again.pk, again.due_at) == (invitation.pk, invitation.due_at)


def test_it_re_plans_the_pre_visit_check_in_of_a_moved_appointment(clinic, tmp_path, capsys):
    run(tmp_path, f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n", capsys=capsys)
    first = previsit.invitation_of(Appointment.objects.get())
    code, out, _ = run(
        tmp_path, f"A1,M-1,{_day(20)} 14:00,20,dora,Follow-up,booked\n", capsys=capsys
    )
    assert code == 0 and "1 updated" in out
    appointment = Appointment.objects.get()
    moved = previsit.invitation_of(appointment)
    zone = clinic.team_a.site.zone
    assert moved.pk == first.pk and moved.status == InvitationStatus.SCHEDULED
    assert moved.expires_at == appointment.starts_at
    assert moved.due_at.astimezone(zone).date().isoformat() == _day(17)
    assert moved.due_at.astimezone(zone).time() == dt.time(9)


def test_it_cancels_the_check_in_of_a_cancelled_appointment_but_not_of_a_missing_row(
    clinic, tmp_path, capsys
):
    both = (
        f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n"
        f"A2,M-1,{_day(11)} 09:30,20,dora,Follow-up,booked\n"
    )
    run(tmp_path, both, capsys=capsys)
    # A later file without A2 and with A1 cancelled.
    run(tmp_path, f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,cancelled\n", capsys=capsys)
    a1, a2 = Appointment.objects.order_by("external_id")
    assert a1.status == "cancelled" and a2.status == "booked"
    assert previsit.invitation_of(a1).status == InvitationStatus.CANCELLED
    assert previsit.invitation_of(a2).status == InvitationStatus.SCHEDULED


def test_a_dry_run_reports_and_saves_nothing(clinic, tmp_path, capsys):
    code, out, _ = run(tmp_path, f"A1,M-1,{_day(10)} 09:30,20,dora,,\n", "--dry-run", capsys=capsys)
    assert code == 0 and "1 created" in out and "dry run: nothing saved" in out
    assert not Appointment.objects.exists()


def test_it_reads_an_offset_and_refuses_a_patient_of_another_site(clinic, tmp_path, capsys):
    other = factories.make_patient(clinic.team_b, mrn="M-2")
    assert other.mrn_site_id == clinic.team_b.site_id
    start = f"{_day(10)}T09:30:00+00:00"
    code, _, err = run(tmp_path, f"A1,M-1,{start},,,,\nA2,M-2,{start},,,,\n", capsys=capsys)
    assert code == 1 and "line 3: refused: no patient with MRN 'M-2' at North Clinic" in err
    assert Appointment.objects.get().starts_at == dt.datetime.fromisoformat(start)


def test_the_mrn_is_unique_per_site_only(clinic):
    from django.db import IntegrityError, transaction

    factories.make_patient(clinic.team_b, mrn="M-1")  # another site: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_patient(clinic.team_a, mrn="M-1")


def test_it_refuses_a_map_that_does_not_name_the_required_columns(clinic, tmp_path):
    (tmp_path / "map.toml").write_text('[columns]\nid = "Id"\n')
    (tmp_path / "a.csv").write_text(HEADER)
    with pytest.raises(CommandError, match="does not name the column for: patient, start"):
        call_command(
            "appointments",
            "import",
            str(tmp_path / "a.csv"),
            "--map",
            str(tmp_path / "map.toml"),
            "--site",
            _site_slug(),
        )


def test_the_shipped_example_imports(world, capsys):
    for n, mrn in enumerate(("100234", "100235", "100236", "100237")):
        factories.make_patient(world.team_a, mrn=mrn, given_name=f"P{n}")
    factories.make_user("clinician", username="clinician", teams=[world.team_a])
    with clock.frozen(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)):
        call_command(
            "appointments",
            "import",
            str(DOCS / "appointments.csv"),
            "--map",
            str(DOCS / "appointments-map.toml"),
            "--site",
            _site_slug(),
        )
    assert "4 created, 0 updated, 0 unchanged, 0 refused" in capsys.readouterr().out
    assert Appointment.objects.filter(status="cancelled").count() == 1


def test_it_refuses_an_id_repeated_in_the_same_file(clinic, tmp_path, capsys):
    body = (
        f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n"
        f"A1,M-1,{_day(11)} 09:30,20,dora,Follow-up,booked\n"
    )
    code, out, err = run(tmp_path, body, capsys=capsys)
    assert code == 1 and "1 created" in out
    assert "line 3: refused: appointment id 'A1' is also on line 2" in err


def test_a_moved_visit_sends_a_started_check_in_again_for_the_new_time(clinic, tmp_path, capsys):
    from django.core import mail

    from coproduce.checkins import outbox
    from coproduce.platform import delivery

    mail.outbox = []
    run(tmp_path, f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n", capsys=capsys)
    invitation = previsit.invitation_of(Appointment.objects.get())
    sent_at = invitation.due_at
    outbox.dispatch_due(sent_at)  # sent, then begun, then reminded once
    invitation.refresh_from_db()
    invitation.draft = {"answers": {"previsit": {"previsit-concern": "My sleep"}}}
    invitation.status = InvitationStatus.IN_PROGRESS
    invitation.save()
    reminded_at = invitation.next_reminder_at
    assert outbox.dispatch_due(reminded_at)["reminded"] == 1
    delivery.send_pending(now=reminded_at)
    assert len(mail.outbox) == 2

    code, out, _ = run(
        tmp_path, f"A1,M-1,{_day(20)} 14:00,20,dora,Follow-up,booked\n", capsys=capsys
    )
    assert code == 0 and "1 updated" in out
    appointment = Appointment.objects.get()
    moved = previsit.invitation_of(appointment)
    assert moved.pk == invitation.pk and moved.status == InvitationStatus.SCHEDULED
    assert moved.draft["answers"] == {"previsit": {"previsit-concern": "My sleep"}}
    assert (moved.reminders_sent, moved.next_reminder_at, moved.sent_at) == (0, None, None)
    # A new message goes out for the new time, and the reminders start again from it.
    assert outbox.dispatch_due(moved.due_at)["sent"] == 1
    delivery.send_pending(now=moved.due_at)
    assert len(mail.outbox) == 3
    new_day = dt.date.fromisoformat(_day(20))
    assert f"{new_day:%A} {new_day.day} {new_day:%B}, 14:00" in mail.outbox[-1].body
    moved.refresh_from_db()
    assert moved.status == InvitationStatus.SENT and moved.reminders_sent == 0
    assert moved.next_reminder_at is not None and moved.next_reminder_at > moved.due_at
    assert moved.draft["answers"] == {"previsit": {"previsit-concern": "My sleep"}}
    assert outbox.dispatch_due(moved.next_reminder_at)["reminded"] == 1
    delivery.send_pending(now=moved.next_reminder_at)
    assert len(mail.outbox) == 4 and "Reminder" in mail.outbox[-1].subject


# --- the real command, in its own process, on this test's database ------------------------


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _coproduce(*args: str):
    import os
    import subprocess
    import sys

    # The command reads the same application clock as the test (COPRODUCE_TODAY and its
    # anchor, when CI moves it) and the test's database; nothing else of ours.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPRODUCE_", "DATABASE_")) or k.startswith("COPRODUCE_TODAY")
    }
    env |= {"COPRODUCE_MODE": "test", "DATABASE_URL": _database_url()}
    command = Path(sys.executable).with_name("coproduce")
    return subprocess.run(
        [str(command), *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.skipif(
    "postgres" not in __import__("os").environ.get("DATABASE_URL", ""),
    reason="the command's own process needs a database it can open (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_the_coproduce_command_refuses_a_bad_row_by_line_and_re_plans_a_moved_visit(
    clinic, tmp_path, client
):
    site = _site_slug()
    csv, mapping = tmp_path / "appointments.csv", tmp_path / "map.toml"
    csv.write_text(
        HEADER
        + f"A1,M-1,{_day(10)} 09:30,20,dora,Follow-up,booked\n"
        + f"A2,NOPE,{_day(10)} 10:00,20,dora,Follow-up,booked\n"
    )
    first = _coproduce("appointments", "import", str(csv), "--map", str(mapping), "--site", site)
    assert first.returncode == 1, first.stderr
    assert "line 3: refused: no patient with MRN 'NOPE' at North Clinic" in first.stderr
    assert "1 created, 0 updated, 0 unchanged, 1 refused" in first.stdout
    assert Appointment.objects.get().external_id == "A1"

    csv.write_text(HEADER + f"A1,M-1,{_day(20)} 14:00,20,dora,Follow-up,booked\n")
    moved = _coproduce("appointments", "import", str(csv), "--map", str(mapping), "--site", site)
    assert moved.returncode == 0, moved.stderr
    assert "0 created, 1 updated" in moved.stdout
    # The patient's home shows the new visit and the day its check-in now opens.
    # Both days as the CSV was written: after a page the test's thread keeps the clinic's
    # time zone, where just after midnight "today" is a day later than in UTC.
    opens, visit = (dt.date.fromisoformat(_day(days)) for days in (17, 20))
    client.force_login(clinic.alice.user)
    home = client.get("/me/").content.decode()
    assert f"the check-in opens on {opens:%A} {opens.day} {opens:%B}." in home
    assert f"{visit:%A} {visit.day} {visit:%B}, 14:00" in home
