"""`coproduce dbgrants ROLE`: print (or --apply) the grants for the app's database role."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from coproduce.audit.grants import grant_statements


class Command(BaseCommand):
    help = (
        "Print the PostgreSQL grants that let ROLE run the app without owning the tables and "
        "without TRUNCATE, UPDATE or DELETE on the audit log; --apply runs them (connect as the "
        "tables' owner, the role that ran `coproduce migrate`). Run it again after each migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the login role the web and worker processes use")
        parser.add_argument("--schema", default="public")
        parser.add_argument("--apply", action="store_true", help="run the grants now")

    def handle(self, *args, role: str, schema: str, apply: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles and grants are for PostgreSQL (DATABASE_URL).")
        if role == connection.settings_dict.get("USER"):
            raise CommandError(
                f"{role!r} is the role connected now (the owner): the app's role must be another."
            )
        statements = grant_statements(role, schema=schema)
        if not apply:
            self.stdout.write("\n".join(f"{s};" for s in statements))
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Granted {role!r} the app's privileges ({len(statements)} statements).")
