"""The incentives ledger: accrue exactly once, enforce yearly caps, batch and pay.

`accrue` is the one place an entry is written. It relies on the ledger's two unique
constraints rather than on locks: (rule, payee, source) can be written once, so a retried or
double-submitted completion finds the first entry; and a capped rule's entries take slots
1..cap per payee and calendar year, so when two completions race for the last slot one of
them fails the constraint, counts again and finds the cap reached. The caller owns the
transaction (each attempt runs in a savepoint).

A calendar year is the payee's: a patient's site's time zone, a panel's own zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.models import Patient, Role, User
from coproduce.platform import clock
from coproduce.research.incentive_models import (
    BatchStatus,
    IncentiveRule,
    LedgerEntry,
    PaymentBatch,
    RuleKind,
)
from coproduce.research.models import Study
from coproduce.research.panel_models import PanelMember
from coproduce.research.participants import Participant, Status

PAID_STATUSES = (Status.RANDOMISED, Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN)
CSV_COLUMNS = [
    "batch",
    "payee_id",
    "payee_kind",
    "name",
    "email",
    "entries",
    "amount",
    "currency",
    "earned_from",
    "earned_to",
    "approved_at",
]


def money(cents: int, currency: str = "USD") -> str:
    """Return an amount of integer cents in the active language's currency format."""
    locale = translation.to_locale(translation.get_language() or "en")
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


def _payee(patient: Patient | None, member: PanelMember | None) -> tuple[str, ZoneInfo]:
    if (patient is None) == (member is None):
        raise ValueError("an entry has exactly one payee: a patient or a panel member")
    if patient is not None:
        return f"patient:{patient.pk}", ZoneInfo(patient.care_team.site.time_zone)
    assert member is not None
    return f"member:{member.pk}", ZoneInfo(member.panel.time_zone)


def year_of(at: dt.datetime, zone: dt.tzinfo) -> int:
    return at.astimezone(zone).year


def accrue(
    rule: IncentiveRule,
    *,
    source: str,
    earned_at: dt.datetime,
    patient: Patient | None = None,
    member: PanelMember | None = None,
    by: User | None = None,
) -> LedgerEntry | None:
    """Write the entry for `source` once; return it (or the earlier one), None when capped."""
    payee, zone = _payee(patient, member)
    year = year_of(earned_at, zone)
    same = LedgerEntry.objects.filter(rule=rule, payee=payee)
    for _attempt in range((rule.yearly_cap or 0) + 3):
        earlier = same.filter(source=source).first()
        if earlier is not None:
            return earlier
        slot = None
        if rule.yearly_cap is not None:
            used = same.filter(year=year).count()
            if used >= rule.yearly_cap:
                return None
            slot = used + 1
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(
                    rule=rule,
                    patient=patient,
                    member=member,
                    payee=payee,
                    source=source,
                    amount_cents=rule.amount_cents,
                    currency=rule.currency,
                    earned_at=earned_at,
                    year=year,
                    slot=slot,
                )
                record(
                    "incentive.accrued",
                    actor=by,
                    patient=patient,
                    obj=entry,
                    detail={
                        "payee": payee,
                        "rule": rule.pk,
                        "source": source,
                        "amount_cents": entry.amount_cents,
                        "currency": entry.currency,
                        "year": year,
                    },
                )
            return entry
        except IntegrityError:
            continue  # the same source or the same slot was written meanwhile: look again
    raise IntegrityError("the incentive could not be recorded; please try again")


def study_rules(study: Study, kind: str) -> QuerySet[IncentiveRule]:
    return IncentiveRule.objects.filter(study=study, kind=kind)


def accrue_study_surveys(participant: Participant, *, now: dt.datetime) -> int:
    """Accrue the study's per-survey rules for every study assessment answered; return new."""
    from coproduce.research.followup import assessments_due

    rules = list(study_rules(participant.study, RuleKind.PER_SURVEY))
    if not rules or participant.status not in PAID_STATUSES:
        return 0
    before = LedgerEntry.objects.filter(payee=f"patient:{participant.patient_id}").count()
    for due in assessments_due(participant, now=now):
        if due.state != "done":
            continue
        # A study survey counts in the calendar year it was due.
        source = f"assessment:{participant.study.slug}:{due.name}:{due.due_at.isoformat()}"
        for rule in rules:
            accrue(rule, source=source, earned_at=due.due_at, patient=participant.patient)
    return LedgerEntry.objects.filter(payee=f"patient:{participant.patient_id}").count() - before


def anniversary(joined: dt.date, years: int) -> dt.date:
    """The date `years` after `joined`; a 29 February join has its anniversary on the 28th."""
    try:
        return joined.replace(year=joined.year + years)
    except ValueError:
        return joined.replace(year=joined.year + years, day=28)


def accrue_membership(member: PanelMember, *, now: dt.datetime) -> int:
    """Accrue the panel's membership rule for each full year of membership; return new."""
    rules = list(member.panel.rules.filter(kind=RuleKind.MEMBERSHIP_YEAR))
    zone = ZoneInfo(member.panel.time_zone)
    today = clock.clinic_today(zone, now)
    end = min(today, member.left_on) if member.left_on else today
    made = 0
    years = 1
    while (day := anniversary(member.joined_on, years)) <= end:
        earned_at = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        for rule in rules:
            source = f"membership-year:{years}"
            if not LedgerEntry.objects.filter(rule=rule, member=member, source=source).exists():
                made += accrue(rule, source=source, earned_at=earned_at, member=member) is not None
        years += 1
    return made


def accrue_due(*, now: dt.datetime | None = None) -> int:
    """The periodic job: study surveys answered and membership years completed."""
    now = now or clock.now()
    made = 0
    studies = IncentiveRule.objects.filter(kind=RuleKind.PER_SURVEY, study__isnull=False)
    participants = Participant.objects.filter(
        study__in=studies.values("study"), status__in=PAID_STATUSES
    ).select_related("study", "site", "patient__care_team__site")
    for participant in participants:
        with transaction.atomic():
            made += accrue_study_surveys(participant, now=now)
    panels = IncentiveRule.objects.filter(kind=RuleKind.MEMBERSHIP_YEAR).values("panel")
    for member in PanelMember.objects.filter(panel__in=panels).select_related("panel"):
        with transaction.atomic():
            made += accrue_membership(member, now=now)
    return made


@dataclass(frozen=True)
class Statement:
    year: int
    total_cents: int
    paid_cents: int
    currency: str
    entries: list[LedgerEntry]

    @property
    def total(self) -> str:
        return money(self.total_cents, self.currency)

    @property
    def paid(self) -> str:
        return money(self.paid_cents, self.currency)

    @property
    def rows(self) -> list[dict]:
        return [
            {
                "date": e.earned_at,
                "label": describe(e),
                "amount": money(e.amount_cents, e.currency),
                "paid": bool(e.batch and e.batch.status == BatchStatus.PAID),
            }
            for e in self.entries
        ]


def statement(
    *,
    patient: Patient | None = None,
    member: PanelMember | None = None,
    now: dt.datetime | None = None,
) -> Statement:
    """What the person earned this calendar year (their zone), and how much is paid."""
    payee, zone = _payee(patient, member)
    year = year_of(now or clock.now(), zone)
    entries = list(
        LedgerEntry.objects.filter(payee=payee, year=year).select_related("rule", "batch")
    )
    currency = entries[0].currency if entries else "USD"
    paid = sum(e.amount_cents for e in entries if e.batch and e.batch.status == BatchStatus.PAID)
    return Statement(year, sum(e.amount_cents for e in entries), paid, currency, entries)


def is_paid(patient: Patient) -> bool:
    """Whether a patient takes part in a study that pays incentives (their card shows)."""
    rules = IncentiveRule.objects.filter(study__isnull=False).values("study")
    return (
        Participant.objects.filter(
            patient=patient, status__in=PAID_STATUSES, study__in=rules
        ).exists()
        or LedgerEntry.objects.filter(patient=patient).exists()
    )


def describe(entry: LedgerEntry) -> str:
    """A line of the statement: what the amount was for."""
    if entry.rule.kind == RuleKind.MEMBERSHIP_YEAR:
        return _("A year on the advisory panel")
    if entry.source.startswith("panel-survey:"):
        return _("A panel survey answered")
    return _("A study survey answered")


# -- payment batches --------------------------------------------------------------------


def entries_for(user: User, study: Study) -> QuerySet[LedgerEntry]:
    """The study's ledger entries a coordinator may see: their sites' patients, the panel."""
    from coproduce.research import access

    if user.role != Role.COORDINATOR or not access.is_study_staff(user, study):
        return LedgerEntry.objects.none()
    sites = access.sites_for(user, study)
    return LedgerEntry.objects.filter(
        Q(
            rule__study=study,
            patient__in=Participant.objects.filter(study=study, site__in=sites).values("patient"),
        )
        | Q(rule__panel__study=study)
    )


def batches_for(user: User, study: Study) -> QuerySet[PaymentBatch]:
    """Batches a coordinator may work (all their entries in their scope), or the PI's."""
    from coproduce.research import access

    batches = PaymentBatch.objects.filter(study=study)
    if user.role == Role.INVESTIGATOR and access.is_study_staff(user, study):
        return batches
    if user.role != Role.COORDINATOR or not access.is_study_staff(user, study):
        return PaymentBatch.objects.none()
    outside = LedgerEntry.objects.filter(batch__study=study).exclude(
        pk__in=entries_for(user, study).values("pk")
    )
    return batches.exclude(pk__in=outside.values("batch"))


def create_batch(study: Study, *, by: User, now: dt.datetime | None = None) -> PaymentBatch:
    """Put every unbatched entry the coordinator may see into a new batch."""
    now = now or clock.now()
    waiting = entries_for(by, study).filter(batch__isnull=True, earned_at__lte=now)
    if not waiting.exists():
        raise ValidationError(_("There is nothing waiting to be paid."))
    batch = PaymentBatch.objects.create(study=study, created_by=by, created_at=now)
    # A conditional update claims the entries: two batches made at once cannot share one.
    claimed = LedgerEntry.objects.filter(
        pk__in=list(waiting.values_list("pk", flat=True)), batch__isnull=True
    ).update(batch=batch)
    if not claimed:
        raise ValidationError(_("There is nothing waiting to be paid."))
    record(
        "incentive.batched",
        actor=by,
        obj=batch,
        detail={"study": study.slug, "entries": claimed, "cents": batch_total(batch)},
    )
    return batch


def batch_total(batch: PaymentBatch) -> int:
    return batch.entries.aggregate(total=Sum("amount_cents"))["total"] or 0


def _move(batch: PaymentBatch, by: User, *, from_status: str, to: str, now: dt.datetime) -> None:
    fields = {"approved": ("approved_by", "approved_at"), "paid": ("paid_by", "paid_at")}[to]
    moved = PaymentBatch.objects.filter(pk=batch.pk, status=from_status).update(
        status=to, **{fields[0]: by, fields[1]: now}
    )
    if not moved:
        raise ValidationError(_("This batch has already moved on."))
    batch.refresh_from_db()
    record(
        f"incentive.batch_{to}",
        actor=by,
        obj=batch,
        detail={
            "study": batch.study.slug,
            "entries": list(batch.entries.values_list("pk", flat=True)),
            "cents": batch_total(batch),
        },
    )


def approve_batch(batch: PaymentBatch, *, by: User, now: dt.datetime | None = None) -> None:
    """The PI approves a drafted batch (never one they drafted themselves)."""
    from coproduce.research import access

    if by.role != Role.INVESTIGATOR or not access.is_study_staff(by, batch.study):
        raise PermissionDenied
    if batch.created_by_id == by.pk:
        raise PermissionDenied
    _move(batch, by, from_status=BatchStatus.DRAFT, to="approved", now=now or clock.now())


def mark_paid(batch: PaymentBatch, *, by: User, now: dt.datetime | None = None) -> None:
    """A coordinator records that the finance office paid an approved batch."""
    if not batches_for(by, batch.study).filter(pk=batch.pk).exists() or by.role != Role.COORDINATOR:
        raise PermissionDenied
    _move(batch, by, from_status=BatchStatus.APPROVED, to="paid", now=now or clock.now())


def batch_csv(batch: PaymentBatch, *, by: User) -> str:
    """The finance office's file: one row per payee (columns: CSV_COLUMNS), audited."""
    if batch.status == BatchStatus.DRAFT:
        raise ValidationError(_("A batch goes to the finance office once it is approved."))
    rows: dict[str, dict] = {}
    entries = batch.entries.select_related("patient", "member").order_by("payee", "earned_at")
    for e in entries:
        row = rows.get(e.payee)
        if row is None:
            if e.patient is not None:
                ident, kind = e.patient.registry_id, "participant"
                name, email = e.patient.display_name, e.patient.email
            else:
                assert e.member is not None
                ident, kind = e.member.member_id, "panel_member"
                name, email = e.member.display_name, e.member.email
            row = rows[e.payee] = {
                "batch": batch.pk,
                "payee_id": ident,
                "payee_kind": kind,
                "name": name,
                "email": email,
                "entries": 0,
                "cents": 0,
                "currency": e.currency,
                "earned_from": e.earned_at.date().isoformat(),
                "earned_to": e.earned_at.date().isoformat(),
                "approved_at": batch.approved_at.date().isoformat() if batch.approved_at else "",
            }
        row["entries"] += 1
        row["cents"] += e.amount_cents
        row["earned_to"] = e.earned_at.date().isoformat()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows.values():
        cents = row.pop("cents")
        writer.writerow({**row, "amount": f"{cents // 100}.{cents % 100:02d}"})
    record(
        "incentive.batch_exported",
        actor=by,
        obj=batch,
        detail={"study": batch.study.slug, "payees": len(rows)},
    )
    return out.getvalue()
