"""Stratified permuted-block randomisation from a seeded sequence, with concealment.

Each stratum (the site plus the study's configured factors) has its own sequence, drawn
from `random.Random(f"{seed}:{stratum}")`: blocks whose size is a random multiple of the
ratio sum, each holding every arm `ratio × multiple` times in random order. The same seed
and stratum always give the same sequence, so the statistician can reproduce any
allocation for audit (`sequence`), and nothing of it is stored where anyone else can read.

Allocation takes the stratum's counter row `FOR UPDATE` (PostgreSQL serialises the
allocations of one stratum; SQLite serialises every write), takes position `n` of the
sequence, and writes the allocation — one per participant (a unique constraint), one per
position (another), so a participant is never randomised twice, even by two requests at
once. References: Schulz & Grimes, "Allocation concealment in randomised trials",
Lancet 2002;359:614-8; Efird, "Blocked randomization with randomly selected block sizes",
Int J Environ Res Public Health 2011;8:15-20.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from coproduce.audit.services import record
from coproduce.people.models import User
from coproduce.platform import clock
from coproduce.research.models import Arm, StrataFactor, Study
from coproduce.research.participants import (
    Allocation,
    Participant,
    Status,
    StratumCounter,
)


@dataclass(frozen=True)
class ArmRatio:
    code: str
    ratio: int


def blocks(seed: str, stratum: str, arms: Sequence[ArmRatio], multipliers: Sequence[int]):
    """Yield the stratum's blocks for ever: each a shuffled list of arm codes."""
    if not arms or any(a.ratio < 1 for a in arms):
        raise ValueError("every arm needs a ratio of at least 1")
    if not multipliers or any(m < 1 for m in multipliers):
        raise ValueError("block multipliers must be positive integers")
    rng = random.Random(f"{seed}:{stratum}")  # noqa: S311  (reproducible by design; seed is secret)
    ordered = sorted(multipliers)
    while True:
        multiple = rng.choice(ordered)
        block = [a.code for a in arms for _ in range(a.ratio * multiple)]
        rng.shuffle(block)
        yield block


def sequence_iter(
    seed: str, stratum: str, arms: Sequence[ArmRatio], multipliers: Sequence[int]
) -> Iterator[str]:
    for block in blocks(seed, stratum, arms, multipliers):
        yield from block


def sequence(
    seed: str, stratum: str, arms: Sequence[ArmRatio], multipliers: Sequence[int], n: int
) -> list[str]:
    """Return the first `n` arm codes of a stratum's sequence."""
    out: list[str] = []
    for code in sequence_iter(seed, stratum, arms, multipliers):
        if len(out) >= n:
            break
        out.append(code)
    return out


def arm_ratios(study: Study) -> list[ArmRatio]:
    return [ArmRatio(a.code, a.ratio) for a in study.arms.order_by("pk")]


def largest_block(study: Study) -> int:
    return max(study.block_multipliers) * sum(a.ratio for a in arm_ratios(study))


def stratum_of(participant: Participant, *, on: dt.date) -> str:
    """Return the stratum key: the site, then each configured factor's level."""
    parts = [f"site={participant.site.slug}"]
    patient = participant.patient
    for factor in participant.study.strata_factors:
        if factor == StrataFactor.AGE_GROUP:
            parts.append("age=50+" if patient.age_on(on) >= 50 else "age=<50")
        elif factor == StrataFactor.BASELINE_MME:
            mme = participant.baseline_mme or 0
            parts.append("mme=90+" if mme >= 90 else "mme=<90")
        elif factor == StrataFactor.CONDITION_COUNT:
            many = patient.conditions.count() > 1
            parts.append("conditions=2+" if many else "conditions=1")
        else:
            raise ValueError(f"unknown stratification factor {factor!r}")
    return ";".join(parts)


class RandomisationRefused(ValidationError):
    """The participant cannot be randomised now; the message says why."""


def randomise(participant: Participant, *, by: User, now: dt.datetime | None = None) -> Allocation:
    """Allocate `participant` to an arm (audited); raise RandomisationRefused if not allowed.

    The caller owns the transaction; this takes row locks, so call it inside one.
    """
    from coproduce.research.consent import consent_problems  # consent builds on models only

    now = now or clock.now()
    # Lock the participant first: two requests for the same person queue here.
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("study", "site", "patient")
        .get(pk=participant.pk)
    )
    if Allocation.objects.filter(participant=participant).exists():
        raise RandomisationRefused(_("This participant has already been randomised."))
    if participant.eligibility_confirmed_at is None:
        raise RandomisationRefused(_("Confirm eligibility before randomising."))
    if participant.status != Status.CONSENTED:
        raise RandomisationRefused(_("Only a consented participant can be randomised."))
    problems = consent_problems(participant)
    if problems:
        raise RandomisationRefused(problems[0])
    study = participant.study
    stratum = stratum_of(participant, on=clock.clinic_today(participant.site, now))
    StratumCounter.objects.get_or_create(study=study, stratum=stratum)
    counter = StratumCounter.objects.select_for_update().get(study=study, stratum=stratum)
    position = counter.allocated
    code = sequence(
        study.randomisation_seed, stratum, arm_ratios(study), study.block_multipliers, position + 1
    )[position]
    arm = Arm.objects.get(study=study, code=code)
    try:
        with transaction.atomic():
            allocation = Allocation.objects.create(
                participant=participant,
                study=study,
                stratum=stratum,
                position=position,
                arm=arm,
                allocated_at=now,
                allocated_by=by,
            )
    except IntegrityError:
        raise RandomisationRefused(_("This participant has already been randomised.")) from None
    counter.allocated = position + 1
    counter.save(update_fields=["allocated"])
    participant.status = Status.RANDOMISED
    participant.randomised_at = now
    participant.save(update_fields=["status", "randomised_at"])
    # The audit row says that it happened and where in which sequence, never the arm:
    # the log is read by people who must stay blind to upcoming allocations.
    record(
        "research.randomised",
        actor=by,
        patient=participant.patient,
        obj=allocation,
        detail={"study": study.slug, "stratum": stratum, "position": position},
    )
    return allocation


def reproduce(allocation: Allocation) -> bool:
    """Return whether the allocation is what the seeded sequence says (for the statistician)."""
    study = allocation.study
    expected = sequence(
        study.randomisation_seed,
        allocation.stratum,
        arm_ratios(study),
        study.block_multipliers,
        allocation.position + 1,
    )[allocation.position]
    return expected == allocation.arm.code
