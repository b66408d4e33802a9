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

    execute_from_command_line(["coproduce", *args])


if __name__ == "__main__":
    main()
