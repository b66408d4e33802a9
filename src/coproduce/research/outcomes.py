"""Study outcomes from registry data: each participant's status and the per-arm table.

EMPOWER's registered primary outcome is careplans.outcomes' tapering success at 12 months,
counted here from randomisation (careplans.services.tapering_outcome_from): one definition,
used by the clinic's cohort rate and by the study alike. Missing data are counted and shown
per arm, never imputed: a participant without a 12-month value is "missing" (window closed)
or "not yet due" (window still open), and neither enters the proportion's denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from coproduce.careplans.medications import current_mme
from coproduce.careplans.outcomes import TWELVE_MONTHS_DAYS, WINDOW_DAYS, TaperingSuccess
from coproduce.careplans.services import tapering_outcome_from
from coproduce.platform import clock
from coproduce.platform.stats import Proportion, wilson_interval
from coproduce.registry.summary import suppress
from coproduce.research.models import Study
from coproduce.research.participants import Participant, WithdrawalScope

TAPERING_SUCCESS = "tapering_success_12m"
#: Outcome definitions a study may name in Study.outcomes (code -> label).
DEFINITIONS = {TAPERING_SUCCESS: _("Tapering success at 12 months (EMPOWER primary outcome)")}


class State:
    SUCCESS = "success"
    FAILURE = "failure"
    MISSING = "missing"
    NOT_DUE = "not_due"


STATE_LABELS = {
    State.SUCCESS: _("Success"),
    State.FAILURE: _("Not met"),
    State.MISSING: _("Missing (window closed)"),
    State.NOT_DUE: _("Not yet due"),
}


@dataclass(frozen=True)
class ParticipantOutcome:
    participant: Participant
    state: str
    result: TaperingSuccess

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


def follow_up_end(participant: Participant) -> dt.datetime | None:
    """When the participant stopped follow-up (a follow-up or data withdrawal), if they did."""
    ends = [
        w.at
        for w in participant.withdrawals.all()
        if w.scope in (WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA)
    ]
    return min(ends) if ends else None


def withdrew_data(participant: Participant) -> bool:
    return any(w.scope == WithdrawalScope.DATA for w in participant.withdrawals.all())


def randomised_on(participant: Participant) -> dt.date | None:
    if participant.randomised_at is None:
        return None
    return participant.randomised_at.astimezone(participant.site.zone).date()


def participant_outcome(participant: Participant, *, today: dt.date) -> ParticipantOutcome | None:
    """Tapering success of one randomised participant (None: not randomised)."""
    start = randomised_on(participant)
    if start is None:
        return None
    ended = follow_up_end(participant)
    until = ended.astimezone(participant.site.zone).date() if ended else None
    # Doses "in force" on days still to come are not data: count nothing after today.
    data_until = today if until is None else min(until, today)
    baseline_mme = participant.baseline_mme
    if baseline_mme is None:
        baseline_mme = current_mme(participant.patient, start)
    result = tapering_outcome_from(participant.patient, start, baseline_mme, until=data_until)
    if result.success is True:
        state = State.SUCCESS
    elif result.success is False:
        state = State.FAILURE
    else:
        window_closes = start + dt.timedelta(days=TWELVE_MONTHS_DAYS + WINDOW_DAYS)
        open_for_data = until is None or until >= window_closes
        state = State.NOT_DUE if today <= window_closes and open_for_data else State.MISSING
    return ParticipantOutcome(participant, state, result)


def analysed(study: Study) -> QuerySet[Participant]:
    """Randomised participants whose data may be used (data withdrawals left out)."""
    return (
        Participant.objects.filter(study=study, randomised_at__isnull=False)
        .exclude(withdrawals__scope=WithdrawalScope.DATA)
        .select_related("patient__care_team__site", "site", "allocation__arm")
        .prefetch_related("withdrawals")
        .order_by("pk")
    )


def participant_outcomes(
    participants: Iterable[Participant], *, today: dt.date | None = None
) -> list[ParticipantOutcome]:
    today = today or clock.today()
    out = []
    for p in participants:
        outcome = participant_outcome(p, today=today)
        if outcome is not None:
            out.append(outcome)
    return out


@dataclass(frozen=True)
class ArmRow:
    """One arm's line of the outcome table. Counts are None when suppressed."""

    arm: str
    randomised: int | None
    success: int | None
    failure: int | None
    missing: int | None
    not_due: int | None
    proportion: Proportion | None  # None: suppressed (or no known results)


def arm_table(
    outcomes: list[ParticipantOutcome], study: Study, *, small_cells: bool
) -> list[ArmRow]:
    """Per arm: randomised, success, not met, missing, not yet due, proportion (95 % Wilson).

    With `small_cells` False (researchers), counts of 1-4 are hidden with the registry's
    rule, and the proportion too whenever its numerator or its complement is such a cell
    (either would give the hidden count back).
    """
    rows = []
    for arm in study.arms.order_by("pk"):
        mine = [o for o in outcomes if o.participant.allocation.arm_id == arm.pk]
        counts = {s: sum(o.state == s for o in mine) for s in STATE_LABELS}
        known = counts[State.SUCCESS] + counts[State.FAILURE]
        proportion: Proportion | None = wilson_interval(counts[State.SUCCESS], known)
        shown = (lambda n: n) if small_cells else suppress
        if not small_cells and (
            shown(counts[State.SUCCESS]) is None or shown(counts[State.FAILURE]) is None
        ):
            proportion = None
        parts = [shown(counts[s]) for s in STATE_LABELS]
        # The total minus the shown parts would give a hidden part back: hide it too.
        total = None if None in parts else shown(len(mine))
        success, failure, missing, not_due = parts
        rows.append(
            ArmRow(
                arm.name,
                total,
                success,
                failure,
                missing,
                not_due,
                proportion if proportion is None or proportion.n else None,
            )
        )
    return rows
