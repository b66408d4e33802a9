"""The `coproduce` command: Django's management commands with coproduce's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
    # Commands that only compute (score, index, mme, spc) need no secret; run them as "test"
    # mode would be wrong, so they get "demo" defaults only when nothing was configured.
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in {"demo", "score", "index", "mme", "spc", "instruments", "openapi"}:
        os.environ.setdefault("COPRODUCE_MODE", "demo")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(["coproduce", *args])
    except (OperationalError, ProgrammingError):
        if not _never_migrated():
            raise
        sys.stderr.write("coproduce: the database is not set up: run coproduce migrate\n")
        raise SystemExit(1) from None


def _never_migrated() -> bool:
    """Return True when the database lacks coproduce's tables (migrations never applied)."""
    try:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except Exception:  # the database may be unreachable too: keep the first error
        return False


if __name__ == "__main__":
    main()
