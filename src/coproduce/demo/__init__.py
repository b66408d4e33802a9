"""Seeding of the demo network.

Each app that has demo data provides a module with `seed(ctx: DemoContext) -> None`, listed
in SEEDERS in the order they run. Seeders must be idempotent: running the demo twice
creates nothing twice (look rows up by natural keys, derive randomness from ctx.rng).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from coproduce.platform import clock

SEEDERS: list[str] = [
    "coproduce.people.demo",
    "coproduce.visits.demo",
    "coproduce.checkins.demo",
    "coproduce.careplans.demo",
    "coproduce.safetynet.demo",
    "coproduce.registry.demo",
    "coproduce.research.demo",
    "coproduce.research.panel_demo",
]

DEMO_PASSWORD = "demo"  # noqa: S105  (public by design; demo mode only)


@dataclass
class DemoContext:
    """Shared state for seeders: a fixed random stream, today, and objects made so far."""

    today: dt.date
    rng: random.Random
    objects: dict[str, Any] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, created: bool) -> None:
        if created:
            self.created[what] = self.created.get(what, 0) + 1


def seed_all(
    progress: Callable[[str], None] | None = None, *, today: dt.date | None = None
) -> DemoContext:
    """Run every seeder in order, each in its own transaction; return the context.

    With `today`, the demo is seeded as of that day: the application clock reads that day
    while seeding (unless it already does), so every service agrees with the seeders.
    """
    if today is not None and today != clock.today():
        with clock.frozen(dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)):
            return seed_all(progress)
    ctx = DemoContext(today=today or clock.today(), rng=random.Random(20261124))
    for dotted in SEEDERS:
        # Each seeder draws from its own stream, so what one seeder skips on a second run
        # (rows that already exist) cannot shift the random choices of the next.
        ctx.rng = random.Random(f"20261124:{dotted}")
        module = importlib.import_module(dotted)
        with transaction.atomic():
            module.seed(ctx)
        if progress:
            progress(dotted.rsplit(".", 2)[-2])
    return ctx
