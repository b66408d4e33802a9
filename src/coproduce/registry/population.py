"""Population lists for a care team: who is overdue, worsening, not in remission, on > 90 MME.

One query over `patients_visible_to(user)` with correlated subqueries on indexed columns,
so the cost does not grow with a Python loop and the query count is constant. Every list
shown or exported is audited with the registry IDs it contained.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coproduce.audit.services import record
from coproduce.checkins.models import CheckinResponse, Enrollment, Score
from coproduce.people.access import patients_visible_to
from coproduce.people.models import CareTeam, User
from coproduce.platform import clock
from coproduce.registry.mme_sql import current_mme_subquery

OVERDUE_AFTER = dt.timedelta(weeks=3)
#: PHQ-9 minimal clinically important difference (Löwe 2004); PEG: a 30 % rise (Krebs 2009).
PHQ9_WORSENING = 5
PEG_WORSENING = 0.30
HIGH_MME = 90
RA_ACTIVE = ("moderate", "high")

FLAGS = {
    "overdue": _("Overdue: no completed check-in in 3 weeks"),
    # xgettext:no-python-format
    "worsening": _("Worsening: PHQ-9 up 5 or more, or PEG up 30 % or more, since the previous"),
    "not_remission": _("Not in remission: RA (DAS28 moderate or high) or IBD (HBI/PUCAI)"),
    "high_mme": _("On more than 90 MME a day"),
}


def _latest(instruments: tuple[str, ...], column: str, offset: int = 0) -> Subquery:
    scores = Score.objects.filter(
        patient=OuterRef("pk"), instrument_id__in=instruments, complete=True
    ).order_by("-at", "-pk")
    return Subquery(scores.values(column)[offset : offset + 1])


def _flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _mme_today_at_each_clinic(now: dt.datetime) -> Case | Subquery:
    """Each patient's current MME on today at their own clinic (their site's zone).

    At any instant today is one of at most three dates around the world, so each patient
    gets the subquery of the date that is today in their site's zone; the zones are named
    in the query (no query to find the sites' zones first).
    """
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for name in sorted(_zone_names()):
        by_day[clock.clinic_today(ZoneInfo(name), now)].append(name)
    # The day most zones share is the default; the others are named.
    usual, *others = sorted(by_day, key=lambda day: -len(by_day[day]))
    if not others:
        return current_mme_subquery(usual)
    return Case(
        *[
            When(care_team__site__time_zone__in=by_day[day], then=current_mme_subquery(day))
            for day in others
        ],
        default=current_mme_subquery(usual),
        output_field=FloatField(),
    )


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def population_queryset(user: User, *, now: dt.datetime | None = None) -> QuerySet:
    """Patients `user` may see, annotated with the four flags and the figures behind them."""
    now = now or clock.now()
    last_checkin = CheckinResponse.objects.filter(patient=OuterRef("pk")).order_by("-submitted_at")
    enrolled = Enrollment.objects.filter(patient=OuterRef("pk"), ended_on__isnull=True)
    return (
        patients_visible_to(user)
        .annotate(
            last_checkin=Subquery(last_checkin.values("submitted_at")[:1]),
            enrolled=Exists(enrolled),
            phq9=_latest(("phq9",), "score"),
            phq9_before=_latest(("phq9",), "score", 1),
            peg=_latest(("peg",), "score"),
            peg_before=_latest(("peg",), "score", 1),
            das28=_latest(("das28-esr", "das28-crp"), "band"),
            ibd=_latest(("hbi", "pucai"), "band"),
            mme=_mme_today_at_each_clinic(now),
        )
        .annotate(
            overdue=_flag(
                Q(enrolled=True)
                & (Q(last_checkin__isnull=True) | Q(last_checkin__lt=now - OVERDUE_AFTER))
            ),
            worsening=_flag(
                Q(phq9__gte=F("phq9_before") + PHQ9_WORSENING)
                | Q(
                    peg__gt=F("peg_before"),
                    peg__gte=F("peg_before") * Value(1 + PEG_WORSENING, FloatField()),
                )
            ),
            not_remission=_flag(
                Q(das28__in=RA_ACTIVE) | (Q(ibd__isnull=False) & ~Q(ibd="remission"))
            ),
            high_mme=_flag(Q(mme__gt=HIGH_MME)),
        )
    )


COLUMNS = (
    "registry_id",
    "given_name",
    "family_name",
    "care_team__name",
    "last_checkin",
    "phq9",
    "peg",
    "das28",
    "ibd",
    "mme",
    *FLAGS,
)


def population_for(user: User, *, flag: str = "", team: CareTeam | None = None) -> list[dict]:
    """Rows (dicts) of flagged patients: one flag, or any flag when `flag` is empty."""
    rows = population_rows(user, flag=flag, team=team)
    if connection.vendor != "postgresql":
        return list(rows)
    # The list's dozen correlated subqueries make PostgreSQL's cost estimate large enough
    # to JIT-compile it, which costs ~300 ms to save nothing on a team's few hundred rows
    # (measured in bench/bench_registry.py: 445 ms with JIT, 45 ms without).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return list(rows)


def population_rows(user: User, *, flag: str = "", team: CareTeam | None = None) -> QuerySet:
    """The list's single query (values of COLUMNS), ordered by name."""
    qs = population_queryset(user)
    if flag:
        if flag not in FLAGS:
            raise ValueError(f"unknown flag {flag!r}")
        qs = qs.filter(**{flag: True})
    else:
        any_flag = Q()
        for name in FLAGS:
            any_flag |= Q(**{name: True})
        qs = qs.filter(any_flag)
    if team is not None:
        qs = qs.filter(care_team=team)
    return qs.order_by("family_name", "given_name", "registry_id").values(*COLUMNS)


def audit_listing(user: User, rows: list[dict], *, export: bool) -> None:
    record(
        "patient.listed",
        actor=user,
        detail={
            "list": "population",
            "format": "csv" if export else "html",
            "registry_ids": [r["registry_id"] for r in rows],
        },
    )


def _cell(value) -> str:
    """Text for a CSV cell; a leading = + - @ would run as a formula in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


CSV_HEADER = (
    "registry_id",
    "given_name",
    "family_name",
    "care_team",
    "last_checkin",
    "phq9",
    "peg",
    "das28_band",
    "ibd_band",
    "mme_per_day",
    *FLAGS,
)


def csv_response(rows: list[dict]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="population.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return response


def csv_query(params) -> str:
    """The current filters plus format=csv, for the export link."""
    kept = {k: v for k, v in params.items() if k in ("flag", "team") and v}
    return urlencode({**kept, "format": "csv"})


class PopulationFilter(forms.Form):
    flag = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("Anyone flagged")), *FLAGS.items()]
    )
    team = forms.ModelChoiceField(
        label=_("Care team"),
        required=False,
        queryset=CareTeam.objects.none(),
        empty_label=_("All my teams"),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = user.care_teams.select_related("site").order_by("name")
