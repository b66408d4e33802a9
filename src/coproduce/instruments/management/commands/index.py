"""``coproduce index NAME --input FILE``: compute clinician-entered disease activity indices.

Input fields per index are listed in ``coproduce.instruments.indices`` and
docs/instruments.md.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from coproduce.instruments.indices import INDEX_IDS
from coproduce.instruments.management.commands.score import Command as ScoreCommand


class Command(ScoreCommand):
    help = (
        "Compute a disease activity index (" + ", ".join(INDEX_IDS) + ") for each row of a "
        "JSON list or CSV of component values."
    )

    def check_audience(self, definition):
        if definition.id not in INDEX_IDS:
            raise CommandError(
                f"{definition.id} is not a clinician index (choose from {', '.join(INDEX_IDS)}); "
                f"use `coproduce score {definition.id} --input FILE`"
            )
