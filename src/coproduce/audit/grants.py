"""The PostgreSQL grants for running the app as a role that cannot empty the audit log.

Row-level triggers refuse UPDATE and DELETE of audit rows, but TRUNCATE fires no row trigger
and a statement trigger would break Django's own test flush. So in production the app runs
as a role that does not own the tables (the owner runs `coproduce migrate`) and holds no
TRUNCATE anywhere and no UPDATE or DELETE on the audit table: the database itself refuses.
"""

from __future__ import annotations

from django.db import connection

from coproduce.audit.models import AuditEvent


def _ident(name: str) -> str:
    return connection.ops.quote_name(name)


def grant_statements(role: str, *, schema: str = "public") -> list[str]:
    """The statements, in order, that give `role` what the app needs and no more."""
    who, where = _ident(role), _ident(schema)
    audit = f"{where}.{_ident(AuditEvent._meta.db_table)}"
    return [
        f"GRANT CONNECT ON DATABASE {_ident(connection.settings_dict['NAME'])} TO {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        # What the app does to every table: read and change rows. No TRUNCATE, no DDL.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        # The audit log is append-only for the app: read and add rows, nothing else.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {who}",
    ]
