"""Make the audit table append-only in the database itself.

PostgreSQL refuses UPDATE and DELETE of audit rows. SQLite refuses UPDATE; it cannot refuse
DELETE without also breaking Django's test-database flush (which deletes row by row on
SQLite), so there the ORM guard is the barrier and production runs on PostgreSQL.
"""

from django.db import migrations

PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_no_update ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_no_delete ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS audit_no_update"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor, []):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
