"""The application clock: the one place coproduce asks what time and what day it is.

Every service reads `now()` / `today()` / `clinic_today()` from here instead of calling
`timezone.now()` or `date.today()` itself. That gives tests one switch to stand the whole
application on a chosen day (a month end, a leap day) and lets `coproduce demo --today`
run the demo as of a given date, with the same code that runs in production.

Two ways to move the clock, both process-wide (a live test server thread sees them too):

- `freeze(at)` stops it at one instant (tests);
- `travel_to(day)` shifts it by whole days so that the clock reads `day` at the current time
  of day and keeps running (a demo served "as of" a date); `travel_to(instant)` makes it
  read that instant (a test run at 00:20 at the clinic, whatever the hour of the run).

`reset()` puts it back to the real time. The clock never goes anywhere unless told to.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    """Return the current instant (time-zone aware, UTC) as the application sees it."""
    if _frozen is not None:
        return _frozen
    return timezone.now() + _offset


_now = now  # for the functions whose `now` argument hides it


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """Return today's date in `zone` (default: the active time zone)."""
    return timezone.localdate(now(), zone)


def clinic_today(site: Any, now: dt.datetime | None = None) -> dt.date:
    """Return today's date on the clinic's own clock (its site's time zone), at `now`
    (default: the application clock's now). The one way to ask what day it is at a clinic."""
    return clinic_day(now if now is not None else _now(), site)


def clinic_day(at: dt.datetime, site: Any) -> dt.date:
    """Return the date of the instant `at` on the clinic's clock (its site's time zone)."""
    return timezone.localdate(at, site_zone(site))


def site_zone(site: Any) -> dt.tzinfo:
    """Return a site's time zone from a Site (or anything with `zone` or `time_zone`), or
    the zone itself."""
    if isinstance(site, dt.tzinfo):
        return site
    zone = getattr(site, "zone", None)
    if isinstance(zone, dt.tzinfo):
        return zone
    return ZoneInfo(site.time_zone)


def freeze(at: dt.datetime) -> None:
    """Stop the clock at `at` (must be time-zone aware)."""
    global _frozen
    if timezone.is_naive(at):
        raise ValueError("freeze() needs a time-zone aware datetime")
    _frozen = at.astimezone(dt.UTC)


def travel_to(day: dt.date | dt.datetime, *, since: dt.datetime | None = None) -> None:
    """Shift the running clock by whole days so that today (UTC) reads `day`; given an
    aware instant, shift it so that it read that instant at the real time `since` (default:
    now) and keeps running."""
    global _offset, _frozen
    _frozen = None
    real = timezone.now()
    if isinstance(day, dt.datetime):
        if timezone.is_naive(day):
            raise ValueError("travel_to() needs a time-zone aware datetime")
        _offset = day - (since or real)
        return
    _offset = dt.timedelta(days=(day - real.date()).days)


ANCHOR_ENV = "COPRODUCE_TODAY_ANCHOR"


def shared_anchor() -> dt.datetime:
    """The real instant a moved clock (COPRODUCE_TODAY as an instant) counts from, the same
    in this process and every process it starts (a worker, a test's subprocess): the first
    process to ask notes it in the environment its children inherit. Without it each
    process would read the instant at its own start, minutes apart."""
    noted = os.environ.get(ANCHOR_ENV, "")
    try:
        return dt.datetime.fromtimestamp(float(noted), tz=dt.UTC)
    except ValueError:
        real = timezone.now()
        os.environ[ANCHOR_ENV] = repr(real.timestamp())
        return real


def reset() -> None:
    """Return to the real time."""
    global _offset, _frozen
    _frozen = None
    _offset = dt.timedelta(0)


def is_moved() -> bool:
    """Return True when the clock has been frozen or shifted."""
    return _frozen is not None or _offset != dt.timedelta(0)


def snapshot() -> tuple[dt.datetime | None, dt.timedelta]:
    """Return the clock's setting, for `restore()` (tests that move the clock put it back)."""
    return (_frozen, _offset)


def restore(previous: tuple[dt.datetime | None, dt.timedelta]) -> None:
    """Put the clock back as `snapshot()` found it."""
    global _frozen, _offset
    _frozen, _offset = previous


@contextmanager
def frozen(at: dt.datetime | dt.date) -> Iterator[dt.datetime]:
    """Run a block with the clock frozen at `at` (a date means noon UTC of that day)."""
    if not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(12, 0), tzinfo=dt.UTC)
    previous = snapshot()
    freeze(at)
    try:
        yield now()
    finally:
        restore(previous)
