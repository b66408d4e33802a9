"""What the fault run counts afterwards: the SMTP sink it delivers to and the four checks.

Imported by bench/fault_run.py after Django is set up on the run's database. Every figure is
read from the database (and from what the SMTP server received), never from the clients'
own belief; the clients' records only say what the server *accepted* (a 2xx with an id).
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from aiosmtpd.controller import Controller

from coproduce.checkins.models import CheckinResponse
from coproduce.checkins.services import api_idempotency_key
from coproduce.platform.models import Notification, Priority
from coproduce.safetynet.engine import item9_positive
from coproduce.safetynet.models import Alert

# --- the local SMTP server --------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    at: float  # time.time() when the message was accepted
    rcpts: tuple[str, ...]
    subject: str


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message with its arrival time."""

    def __init__(self, host: str, port: int):
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=host, port=port)

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        with self._lock:
            self.messages.append(
                Received(time.time(), tuple(envelope.rcpt_tos), str(msg["Subject"] or ""))
            )
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.messages)


# --- what the clients recorded ----------------------------------------------------------


@dataclass
class Submission:
    """One check-in a client meant to submit, and what the server answered to each try."""

    user_id: int
    invitation_id: int
    answers: dict[str, dict[str, Any]]
    note: str
    red_flag: int  # PHQ-9 item 9 as sent
    key: str = ""  # the Idempotency-Key header, the same for every try
    tries: list[tuple[float, int]] = field(default_factory=list)  # (time, status; 0 = no reply)
    ids: set[int] = field(default_factory=set)  # ids in 2xx replies (one, if all is well)
    crisis_shown: bool = False  # a reply (2xx or 503) carried crisis resources

    @property
    def accepted(self) -> bool:
        return bool(self.ids)

    def stored_key(self) -> str:
        return api_idempotency_key(SimpleNamespace(pk=self.user_id), self.key)


# --- the checks -------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Delivery:
    """Urgent alerts and whether their outbox rows reached the SMTP server in time."""

    alerts: int = 0
    in_time: int = 0
    late: int = 0
    never: int = 0
    no_row: int = 0
    rows: int = 0
    rows_by_status: Counter = field(default_factory=Counter)
    rows_sent_not_received: int = 0
    latencies: list[float] = field(default_factory=list)  # s from raised to the last arrival
    never_raised: list[float] = field(default_factory=list)  # when alerts never received rose
    last_deadline: float = 0.0

    @property
    def done(self) -> bool:
        """Nothing left that could still arrive in time."""
        return self.in_time + self.late + self.no_row == self.alerts


def _urgent_rows(rids: list[int]) -> dict[tuple[int, str], list[Notification]]:
    """Outbox rows of alerts on these responses, by (response id, rule id).

    Alert rows carry the dedupe key `alert:r<response>:<rule>:<recipient>`.
    """
    out: dict[tuple[int, str], list[Notification]] = defaultdict(list)
    wanted = set(rids)
    for n in Notification.objects.filter(purpose="alert", dedupe_key__startswith="alert:r"):
        parts = n.dedupe_key.split(":")
        if len(parts) >= 3 and parts[1][1:].isdigit() and int(parts[1][1:]) in wanted:
            out[(int(parts[1][1:]), parts[2])].append(n)
    return out


def delivery(
    worker_back: float, within: float, messages: list[Received], rids: list[int]
) -> Delivery:
    """Match each urgent alert's outbox rows to received messages (recipient and subject).

    An alert is delivered in time when every one of its rows arrived by
    max(worker back, alert raised) + `within` seconds. The subject names the patient, and
    the run gives each patient at most one red flag, so (recipient, subject) finds the row's
    message; the earliest unmatched one is taken.
    """
    pool: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in sorted(messages, key=lambda m: m.at):
        for rcpt in m.rcpts:
            pool[(rcpt.lower(), m.subject)].append(m.at)
    rows = _urgent_rows(rids)
    d = Delivery()
    alerts = Alert.objects.filter(priority=Priority.URGENT, response_id__in=rids).order_by("pk")
    for alert in alerts:
        d.alerts += 1
        start = max(worker_back, alert.created_at.timestamp())
        deadline = start + within
        d.last_deadline = max(d.last_deadline, deadline)
        mine = rows.get((alert.response_id, alert.rule_id), [])
        if not mine:
            d.no_row += 1
            continue
        arrivals = []
        for n in mine:
            d.rows += 1
            d.rows_by_status[n.status] += 1
            queue = pool.get((n.to.lower(), n.subject), [])
            arrivals.append(queue.pop(0) if queue else None)
            if arrivals[-1] is None and n.status == "sent":
                d.rows_sent_not_received += 1
        if any(a is None for a in arrivals):
            d.never += 1
            d.never_raised.append(alert.created_at.timestamp())
            continue
        last = max(a for a in arrivals if a is not None)
        d.latencies.append(last - alert.created_at.timestamp())
        if last <= deadline:
            d.in_time += 1
        else:
            d.late += 1
    return d


def stored_ids(user_ids: list[int]) -> list[int]:
    """Ids of every response stored for these patients' users."""
    return list(
        CheckinResponse.objects.filter(patient__user_id__in=user_ids).values_list("id", flat=True)
    )


def _by_status(statuses: Iterable[int]) -> str:
    counts = Counter(statuses)
    return ", ".join(f"{'no reply' if k == 0 else k}: {v}" for k, v in sorted(counts.items()))


def count(
    subs: list[Submission], user_ids: list[int], worker_back: float, within: float,
    messages: list[Received], t0: float,
) -> tuple[list[Check], dict[str, Any]]:  # fmt: skip
    """Count from the database: accepted = stored, duplicates, one alert per red flag, delivery."""
    stored = list(
        CheckinResponse.objects.filter(patient__user_id__in=user_ids).values(
            "id", "invitation_id", "idempotency_key", "answers", "safetynet_pending"
        )
    )
    by_id = {r["id"]: r for r in stored}
    tried = [s for s in subs if s.tries]
    accepted = [s for s in tried if s.accepted]
    expected_keys = {s.stored_key(): s for s in tried}
    figures: dict[str, Any] = {"submissions tried": len(tried), "accepted (2xx)": len(accepted)}
    figures["tries (incl. retries)"] = sum(len(s.tries) for s in tried)
    figures["replies by status"] = _by_status(status for s in tried for _, status in s.tries)
    unacked = [s for s in tried if not s.accepted]
    figures["never acknowledged, by last reply"] = (
        f"{len(unacked)} ({_by_status(s.tries[-1][1] for s in unacked)})" if unacked else "0"
    )
    figures["responses stored"] = len(stored)
    stored_unacked = sum(
        1 for r in stored if (s := expected_keys.get(r["idempotency_key"])) and not s.accepted
    )
    figures["stored, client never told"] = stored_unacked

    # 1. accepted = stored: the id in each 2xx exists, for the invitation and key sent.
    missing = wrong = 0
    for s in accepted:
        for rid in s.ids:
            row = by_id.get(rid)
            if row is None:
                missing += 1
            elif (
                row["invitation_id"] != s.invitation_id or row["idempotency_key"] != s.stored_key()
            ):
                wrong += 1
    checks = [
        Check(
            "accepted = stored",
            missing == 0 and wrong == 0,
            f"{len(accepted)} accepted; {len(accepted) - missing - wrong} found with their id, "
            f"invitation and key; {missing} missing; {wrong} stored differently",
        )
    ]

    # 2. no duplicates: per invitation, per key, no row the clients never sent, one id per try.
    per_inv = Counter(r["invitation_id"] for r in stored if r["invitation_id"] is not None)
    per_key = Counter(r["idempotency_key"] for r in stored)
    dup_inv = sum(1 for n in per_inv.values() if n > 1)
    dup_key = sum(1 for n in per_key.values() if n > 1)
    foreign = sum(1 for r in stored if r["idempotency_key"] not in expected_keys)
    two_ids = sum(1 for s in accepted if len(s.ids) > 1)
    checks.append(
        Check(
            "0 duplicates",
            dup_inv == dup_key == foreign == two_ids == 0,
            f"{dup_inv} invitations with >1 response; {dup_key} keys with >1; {foreign} "
            f"responses under a key no client sent; {two_ids} submissions answered with 2 ids",
        )
    )

    # 3. every red flag stored raised exactly one urgent alert.
    flagged = [r["id"] for r in stored if item9_positive(r["answers"])]
    flagged_set = set(flagged)
    urgent = Counter(
        Alert.objects.filter(
            priority=Priority.URGENT, response_id__in=[r["id"] for r in stored]
        ).values_list("response_id", flat=True)
    )
    one = sum(1 for rid in flagged if urgent[rid] == 1)
    none = sum(1 for rid in flagged if urgent[rid] == 0)
    more = len(flagged) - one - none
    figures["red flags sent / accepted"] = (
        f"{sum(1 for s in tried if s.red_flag)} / {sum(1 for s in accepted if s.red_flag)}"
    )
    figures["red-flag responses stored"] = len(flagged)
    figures["urgent alerts on other responses"] = sum(
        n for rid, n in urgent.items() if rid not in flagged_set
    )
    figures["responses awaiting a safety-net recheck"] = sum(
        1 for r in stored if r["safetynet_pending"]
    )
    figures["red-flag replies showing crisis resources"] = (
        f"{sum(1 for s in tried if s.red_flag and s.crisis_shown)} of "
        f"{sum(1 for s in tried if s.red_flag)} tried"
    )
    checks.append(
        Check(
            "every red flag exactly one urgent alert",
            none == more == 0,
            f"{len(flagged)} red-flag responses: {one} with one, {none} with none, "
            f"{more} with more",
        )
    )

    # Beyond the four: a retry (same key) of a check-in that was stored while its reply
    # was lost must be answered with the stored id, not refused; else the client never knows.
    checks.append(
        Check(
            "every submission acknowledged (a retry of a stored one gets its id)",
            not unacked,
            f"{len(tried) - len(unacked)} of {len(tried)} acknowledged; {stored_unacked} of "
            f"the {len(unacked)} others were stored without the client being told",
        )
    )

    # 4. every urgent alert's notifications reached the SMTP server in time.
    d = delivery(worker_back, within, messages, [r["id"] for r in stored])
    lat = sorted(d.latencies)
    figures["urgent alerts"] = d.alerts
    figures["their outbox rows (by status)"] = f"{d.rows} ({dict(d.rows_by_status) or '-'})"
    figures["rows 'sent' but never received"] = d.rows_sent_not_received
    figures["SMTP messages received"] = len(messages)
    if d.never_raised:
        figures["alerts never received were raised at"] = (
            f"t=+{min(d.never_raised) - t0:.1f} .. +{max(d.never_raised) - t0:.1f} s "
            f"(the worker was back at t=+{worker_back - t0:.1f} s)"
        )
    if lat:
        figures["delivery, s from alert raised to mail received: p50 / max"] = (
            f"{lat[len(lat) // 2]:.1f} / {lat[-1]:.1f}"
        )
    checks.append(
        Check(
            f"every urgent alert delivered within {within:g} s after the worker is back",
            d.alerts == d.in_time,
            f"{d.alerts} urgent alerts: {d.in_time} in time, {d.late} late, {d.never} never "
            f"received, {d.no_row} with no outbox row (nobody to notify)",
        )
    )
    return checks, figures
