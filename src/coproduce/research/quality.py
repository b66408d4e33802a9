"""Data quality per study: rules that raise queries, and the coordinator answering them.

Four rules run over each analysed participant (randomised, data use not withdrawn):
missing required assessments (the study's dated assessments: baseline, 3, 6, 12 months),
out-of-range values (scores outside their instrument's scale, implausible daily MME),
impossible combinations (dates out of order, a withdrawn status without a withdrawal,
attendance recorded for a session still to come) and duplicates (one instrument answered
twice on one day). Each finding has a key, so running the rules again adds only new ones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.careplans.medications import mme_of
from coproduce.checkins.models import ScheduleKind, Score
from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.research.datamodels import DataQuery, QueryRule, QueryStatus
from coproduce.research.followup import assessments_due
from coproduce.research.models import Study
from coproduce.research.outcomes import analysed
from coproduce.research.participants import Participant, Status

#: Scales of the scored instruments (lowest, highest total score).
SCORE_RANGES = {"peg": (0, 10), "pain-nrs": (0, 10), "phq9": (0, 27), "gad7": (0, 21)}
#: A daily MME above this is taken as an entry error until the coordinator says otherwise.
MAX_PLAUSIBLE_MME = 1000


@dataclass(frozen=True)
class Finding:
    participant: Participant
    rule: str
    key: str
    message: str


def _missing(p: Participant, now: dt.datetime) -> list[Finding]:
    dated = set(
        p.study.assessments.schedules.filter(kind=ScheduleKind.AFTER_START).values_list(
            "name", flat=True
        )
        if p.study.assessments
        else []
    )
    return [
        Finding(
            p,
            QueryRule.MISSING,
            f"missing:{p.pk}:{due.name}:{due.due_at:%Y%m%d}",
            _("The %(name)s assessment due on %(day)s was not answered.")
            % {"name": due.name, "day": due.due_at.astimezone(p.site.zone).date().isoformat()},
        )
        for due in assessments_due(p, now=now)
        if due.name in dated and due.state == "missed"
    ]


def _scores(p: Participant, since: dt.datetime) -> list[Finding]:
    out = []
    days: Counter = Counter()
    zone = p.site.zone
    for score in Score.objects.filter(patient=p.patient, at__gte=since).order_by("at", "pk"):
        day = score.at.astimezone(zone).date()
        days[(score.instrument_id, day)] += 1
        low_high = SCORE_RANGES.get(score.instrument_id)
        if low_high and score.score is not None and not low_high[0] <= score.score <= low_high[1]:
            out.append(
                Finding(
                    p,
                    QueryRule.OUT_OF_RANGE,
                    f"range:{score.pk}",
                    _("%(instrument)s score %(score)s on %(day)s is outside %(low)s-%(high)s.")
                    % {
                        "instrument": score.instrument_id,
                        "score": score.score,
                        "day": day.isoformat(),
                        "low": low_high[0],
                        "high": low_high[1],
                    },
                )
            )
    for (instrument, day), n in sorted(days.items()):
        if n > 1:
            out.append(
                Finding(
                    p,
                    QueryRule.DUPLICATE,
                    f"duplicate:{p.pk}:{instrument}:{day.isoformat()}",
                    _("%(instrument)s was answered %(n)s times on %(day)s.")
                    % {"instrument": instrument, "n": n, "day": day.isoformat()},
                )
            )
    return out


def _medications(p: Participant) -> list[Finding]:
    out = []
    for m in p.patient.medications.filter(is_opioid=True):
        mme = mme_of([m]).total_mme
        if mme > MAX_PLAUSIBLE_MME:
            out.append(
                Finding(
                    p,
                    QueryRule.OUT_OF_RANGE,
                    f"mme:{m.pk}",
                    _("%(drug)s gives %(mme)s MME a day (above %(max)s): check the entry.")
                    % {"drug": m.drug, "mme": mme, "max": MAX_PLAUSIBLE_MME},
                )
            )
        if m.stopped_on and m.stopped_on < m.started_on:
            out.append(
                Finding(
                    p,
                    QueryRule.IMPOSSIBLE,
                    f"med-dates:{m.pk}",
                    _("%(drug)s stops before it starts.") % {"drug": m.drug},
                )
            )
    return out


def _combinations(p: Participant, now: dt.datetime) -> list[Finding]:
    out = []
    pairs = [
        ("consented", p.consented_at, "randomised", p.randomised_at),
        ("randomised", p.randomised_at, "completed", p.completed_at),
    ]
    for first, a, then, b in pairs:
        if a and b and b < a:
            out.append(
                Finding(
                    p,
                    QueryRule.IMPOSSIBLE,
                    f"order:{p.pk}:{first}:{then}",
                    _("%(then)s is dated before %(first)s.") % {"first": first, "then": then},
                )
            )
    if p.status == Status.WITHDRAWN and not p.withdrawals.exists():
        out.append(
            Finding(
                p,
                QueryRule.IMPOSSIBLE,
                f"withdrawn:{p.pk}",
                _("Status is withdrawn but no withdrawal is recorded."),
            )
        )
    for session in p.sessions.filter(starts_at__gt=now, attended__isnull=False):
        out.append(
            Finding(
                p,
                QueryRule.IMPOSSIBLE,
                f"session:{session.pk}",
                _("Attendance is recorded for session %(n)s, which is still to come.")
                % {"n": session.number},
            )
        )
    return out


def findings(study: Study, *, now: dt.datetime) -> list[Finding]:
    out: list[Finding] = []
    for p in analysed(study):
        since = (p.randomised_at or now) - dt.timedelta(days=30)
        out += _missing(p, now) + _scores(p, since) + _medications(p) + _combinations(p, now)
    return out


def run_checks(study: Study, *, now: dt.datetime | None = None) -> list[DataQuery]:
    """Raise a query for every new finding; return the new ones."""
    now = now or clock.now()
    known = set(DataQuery.objects.filter(study=study).values_list("key", flat=True))
    new = [
        DataQuery(
            study=study,
            participant=f.participant,
            site=f.participant.site,
            rule=f.rule,
            key=f.key,
            message=f.message[:300],
            created_at=now,
        )
        for f in findings(study, now=now)
        if f.key not in known
    ]
    DataQuery.objects.bulk_create(new, ignore_conflicts=True)
    record("research.quality_checked", detail={"study": study.slug, "new_queries": len(new)})
    return new


def queries_for(participants: QuerySet[Participant]) -> QuerySet[DataQuery]:
    """The queries of the participants a coordinator works with (open first)."""
    return DataQuery.objects.filter(participant__in=participants).select_related(
        "participant__patient", "site"
    )


def report_by_site(queries: QuerySet[DataQuery]) -> list[tuple[str, dict[str, int]]]:
    """(site, {status: count, rule: open count}) per site."""
    out: dict[str, Counter] = {}
    for site, rule, status in queries.values_list("site__name", "rule", "status"):
        counts = out.setdefault(site, Counter())
        counts[status] += 1
        if status == QueryStatus.OPEN:
            counts[rule] += 1
    return [(site, dict(counts)) for site, counts in sorted(out.items())]


def answer(
    query: DataQuery, *, by: User, text: str, close: bool, now: dt.datetime | None = None
) -> DataQuery:
    """The coordinator answers a query and, when the answer settles it, closes it."""
    if query.status == QueryStatus.CLOSED:
        raise ValidationError(_("This query is closed."))
    text = text.strip()
    if not text and not query.answer:
        raise ValidationError({"answer": _("Write what you found or corrected.")})
    now = now or clock.now()
    if text:
        query.answer, query.answered_by, query.answered_at = text[:500], by, now
    query.status = QueryStatus.CLOSED if close else QueryStatus.ANSWERED
    query.closed_at = now if close else None
    query.save()
    record(
        "research.query_answered",
        actor=by,
        patient=query.participant.patient,
        obj=query,
        detail={"study": query.study.slug, "rule": query.rule, "status": query.status},
    )
    return query
