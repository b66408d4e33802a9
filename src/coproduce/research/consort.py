"""CONSORT flow numbers from the screening log, and the drawn flow diagram (SVG + table).

Stages follow the CONSORT 2010 flow diagram (Schulz, Altman, Moher; BMJ 2010;340:c332):
assessed for eligibility → excluded (not meeting criteria, declined, not yet decided) →
randomised → per arm: allocated, discontinued the intervention, stopped follow-up,
analysed (everyone allocated except those who withdrew the use of their data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from coproduce.platform.charts import Box, flow_svg
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


def _n(label: str, n: int) -> str:
    return _("%(label)s (n=%(n)s)") % {"label": label, "n": n}


def consort_svg(study: Study, result: Flow) -> SafeString:
    """Return the CONSORT flow diagram: boxes and arrows from assessed to analysed."""
    declined = ["– " + _n(reason, n) for reason, n in sorted(result.declined_by_reason.items())]
    excluded = Box(
        _n(_("Excluded"), result.excluded),
        (
            _n(_("Not meeting inclusion criteria"), result.not_eligible),
            _n(_("Declined to participate"), result.declined),
            *declined,
            _n(_("Not yet randomised"), result.pending),
        ),
    )
    columns = [
        [
            Box(_n(_("Allocated to %(arm)s") % {"arm": arm.name}, arm.allocated)),
            Box(
                _("Follow-up"),
                (
                    _n(_("Discontinued the intervention"), arm.discontinued),
                    _n(_("Stopped follow-up (withdrew)"), arm.stopped_follow_up),
                ),
            ),
            Box(_n(_("Analysed"), arm.analysed)),
        ]
        for arm in result.arms
    ]
    arms = "; ".join(
        _("%(arm)s: %(a)s allocated, %(d)s discontinued, %(s)s stopped follow-up, %(n)s analysed")
        % {
            "arm": arm.name,
            "a": arm.allocated,
            "d": arm.discontinued,
            "s": arm.stopped_follow_up,
            "n": arm.analysed,
        }
        for arm in result.arms
    )
    description = _(
        "Flow diagram. %(a)s assessed for eligibility; %(e)s excluded (%(ne)s not meeting "
        "criteria, %(d)s declined, %(p)s not yet randomised); %(r)s randomised. %(arms)s. "
        "The table below the diagram has every number."
    ) % {
        "a": result.assessed,
        "e": result.excluded,
        "ne": result.not_eligible,
        "d": result.declined,
        "p": result.pending,
        "r": result.randomised,
        "arms": arms,
    }
    return flow_svg(
        chart_id="consort",
        title=_("CONSORT flow: %(study)s") % {"study": study.title},
        description=description,
        start=Box(_n(_("Assessed for eligibility"), result.assessed)),
        side=excluded,
        split=Box(_n(_("Randomised"), result.randomised)),
        columns=columns,
    )
