"""CONSORT flow numbers from the screening log, and the drawn diagram (pygal SVG + table).

Stages follow the CONSORT 2010 flow diagram (Schulz, Altman, Moher; BMJ 2010;340:c332):
assessed for eligibility → excluded (not meeting criteria, declined, not yet decided) →
randomised → per arm: allocated, discontinued the intervention, stopped follow-up,
analysed (everyone allocated except those who withdrew the use of their data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygal
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from coproduce.registry.charts import _base, _style
from coproduce.research.models import Study
from coproduce.research.participants import (
    Allocation,
    DeclineReason,
    Participant,
    Status,
    Withdrawal,
    WithdrawalScope,
)


@dataclass
class ArmFlow:
    name: str
    allocated: int = 0
    discontinued: int = 0
    stopped_follow_up: int = 0
    analysed: int = 0


@dataclass
class Flow:
    assessed: int = 0
    not_eligible: int = 0
    declined: int = 0
    declined_by_reason: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    randomised: int = 0
    arms: list[ArmFlow] = field(default_factory=list)

    @property
    def excluded(self) -> int:
        return self.not_eligible + self.declined + self.pending

    def rows(self) -> list[tuple[str, int]]:
        """(label, count) in diagram order, for the chart and its table."""
        out = [
            (_("Assessed for eligibility"), self.assessed),
            (_("Excluded: not meeting criteria"), self.not_eligible),
            (_("Excluded: declined to participate"), self.declined),
            (_("Excluded: not yet randomised"), self.pending),
            (_("Randomised"), self.randomised),
        ]
        for arm in self.arms:
            out += [
                (_("%(arm)s: allocated") % {"arm": arm.name}, arm.allocated),
                (_("%(arm)s: discontinued intervention") % {"arm": arm.name}, arm.discontinued),
                (_("%(arm)s: stopped follow-up") % {"arm": arm.name}, arm.stopped_follow_up),
                (_("%(arm)s: analysed") % {"arm": arm.name}, arm.analysed),
            ]
        return out


def flow(study: Study, participants: QuerySet[Participant] | None = None) -> Flow:
    """Return the CONSORT numbers of `participants` (default: the whole study)."""
    rows = participants if participants is not None else Participant.objects.filter(study=study)
    rows = rows.filter(study=study)
    by_status = dict(rows.values_list("status").annotate(n=Count("pk")).order_by())
    result = Flow(assessed=sum(by_status.values()))
    result.not_eligible = by_status.get(Status.INELIGIBLE, 0)
    result.declined = by_status.get(Status.DECLINED, 0)
    reasons = rows.filter(status=Status.DECLINED).values_list("decline_reason")
    result.declined_by_reason = {
        str(DeclineReason(r).label): n for r, n in reasons.annotate(n=Count("pk")).order_by()
    }
    allocations = Allocation.objects.filter(participant__in=rows)
    result.randomised = allocations.count()
    result.pending = result.assessed - result.not_eligible - result.declined - result.randomised
    withdrawals = Withdrawal.objects.filter(participant__in=rows)
    for arm in study.arms.order_by("pk"):
        allocated = allocations.filter(arm=arm).values("participant")
        gone = withdrawals.filter(participant__in=allocated)
        result.arms.append(
            ArmFlow(
                name=arm.name,
                allocated=allocated.count(),
                discontinued=gone.values("participant").distinct().count(),
                stopped_follow_up=gone.exclude(scope=WithdrawalScope.INTERVENTION)
                .values("participant")
                .distinct()
                .count(),
                analysed=allocated.count()
                - gone.filter(scope=WithdrawalScope.DATA).values("participant").distinct().count(),
            )
        )
    return result


def consort_svg(study: Study, result: Flow) -> str:
    """Return the flow as a horizontal bar chart, one bar per box of the CONSORT diagram."""
    chart = _base(
        pygal.HorizontalBar,
        _("CONSORT flow: %(study)s") % {"study": study.title},
        style=_style(("#0b5c8a",)),
        height=120 + 28 * len(result.rows()),
        show_legend=False,
    )
    rows = result.rows()
    # pygal draws the first label at the bottom of a horizontal chart: reverse for reading order.
    chart.x_labels = [label for label, _n in reversed(rows)]
    chart.add(_("Participants"), [n for _label, n in reversed(rows)])
    return chart.render(is_unicode=True)
