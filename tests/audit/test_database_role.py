"""The app runs as a database role that cannot empty or change the audit log (PostgreSQL)."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from coproduce.audit.models import AuditEvent
from coproduce.audit.services import record
from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.services import SubmitResult, store_checkin
from tests.checkins.conftest import full_answers

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="database roles and grants are PostgreSQL's; SQLite has neither",
)


def test_it_refuses_on_sqlite_with_a_reason():
    if connection.vendor == "postgresql":
        pytest.skip("this is the SQLite side")
    with pytest.raises(CommandError, match="for PostgreSQL"):
        call_command("dbgrants", "coproduce_app")


@pytest.fixture
def app_role(transactional_db):
    """A login role that owns nothing, given the app's grants by `coproduce dbgrants --apply`;
    the test connection then runs as it (and back as the owner afterwards)."""
    role = f"coproduce_app_{os.getpid()}"
    owner = connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    out = io.StringIO()
    call_command("dbgrants", role, "--apply", stdout=out)
    assert "Granted" in out.getvalue()
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield role
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


@postgresql_only
def test_it_prints_the_grants_without_truncate_or_audit_changes():
    out = io.StringIO()
    call_command("dbgrants", "coproduce_app", stdout=out)
    sql = out.getvalue()
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES" in sql
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "public"."audit_auditevent"' in sql
    assert "TRUNCATE" not in sql.split("REVOKE UPDATE, DELETE, TRUNCATE")[0].replace(
        "REVOKE ALL", ""
    )


@postgresql_only
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditevent SET event = 'x'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_app_role_cannot_empty_or_change_the_audit_log(world, app_role, statement):
    record("patient.viewed", actor=world.nina, patient=world.alice)  # a normal write works
    refused = pytest.raises(DatabaseError, match="permission denied")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(event="patient.viewed").count() == 1


@postgresql_only
def test_the_app_role_cannot_truncate_other_tables_or_change_the_schema(world, app_role):
    for statement in ("TRUNCATE checkins_checkinresponse", "DROP TABLE audit_auditevent"):
        refused = pytest.raises(DatabaseError, match=r"permission denied|must be owner")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


@postgresql_only
def test_the_app_role_stores_a_check_in(world, app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role
    result = store_checkin(
        patient=world.alice,
        answers=full_answers(item9=2),
        idempotency_key="as-the-app-role",
        submitted_by=world.alice.user,
        source="api",
    )
    assert isinstance(result, SubmitResult) and result.created and result.crisis
    assert CheckinResponse.objects.count() == 1
    assert AuditEvent.objects.filter(event="checkin.submitted").count() == 1
