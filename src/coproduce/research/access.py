"""Who may see which study, participant and allocation. Forbidden answers 404 like missing.

Coordinators see the participants of the sites they coordinate (StudyStaff rows); the
patients' own data (people.access) only once they have consented. A participant's arm is
shown to a coordinator only after eligibility and consent are confirmed; the list of
allocations only to an unblinded statistician of the study. Nobody sees upcoming
allocations: they exist only as the seeded sequence (randomisation.py).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from coproduce.audit.services import record
from coproduce.people.models import ARM_ROLES, RESEARCH_ROLES, Role, Site, User
from coproduce.platform import clock
from coproduce.research.models import Arm, Study, StudyStaff
from coproduce.research.participants import Allocation, Participant, Status, WithdrawalScope

JOINED = (Status.CONSENTED, Status.RANDOMISED, Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN)
STUDY_ROLES = RESEARCH_ROLES


def _active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def studies_for(user: User) -> QuerySet[Study]:
    """Return the studies `user` works on."""
    if not _active(user) or user.role not in STUDY_ROLES:
        return Study.objects.none()
    return Study.objects.filter(staff__user=user).distinct().order_by("title")


def is_study_staff(user: User, study: Study) -> bool:
    return studies_for(user).filter(pk=study.pk).exists()


def get_study_for(user: User, slug: str, *, roles=STUDY_ROLES) -> Study:
    """Return the study if `user` works on it in one of `roles`; else raise Http404."""
    if getattr(user, "role", None) not in roles:
        raise Http404("No such study.")
    try:
        return studies_for(user).get(slug=slug)
    except Study.DoesNotExist:
        raise Http404("No such study.") from None


def sites_for(user: User, study: Study) -> QuerySet[Site]:
    """The study's sites `user` coordinates (a staff row without a site: all of them)."""
    rows = StudyStaff.objects.filter(study=study, user=user)
    if rows.filter(site__isnull=True).exists():
        return study.sites.all()
    return study.sites.filter(pk__in=rows.values("site"))


def participants_for(user: User, study: Study) -> QuerySet[Participant]:
    """The screening log rows a coordinator works with (their sites); none for other roles."""
    if not _active(user) or user.role != Role.COORDINATOR or not is_study_staff(user, study):
        return Participant.objects.none()
    return Participant.objects.filter(study=study, site__in=sites_for(user, study))


def get_participant_for(user: User, study: Study, pk: int, *, event: str = "") -> Participant:
    """Return one participant of the coordinator's sites (audited if `event`); else 404."""
    try:
        participant = (
            participants_for(user, study)
            .select_related("patient__care_team__site", "site", "study")
            .get(pk=pk)
        )
    except (Participant.DoesNotExist, ValueError):
        raise Http404("No such participant.") from None
    if event:
        record(event, actor=user, patient=participant.patient, obj=participant)
    return participant


def study_patients_for(user: User) -> QuerySet:
    """Patient ids a coordinator may see through people.access: consented participants."""
    if not _active(user) or user.role != Role.COORDINATOR:
        return Participant.objects.none().values("patient")
    staff = StudyStaff.objects.filter(study=OuterRef("study"), user=user).filter(
        Q(site__isnull=True) | Q(site=OuterRef("site"))
    )
    rows = (
        Participant.objects.filter(status__in=JOINED)
        .filter(Exists(staff))
        .exclude(withdrawals__scope=WithdrawalScope.DATA)
    )
    return rows.values("patient")


def arm_for(user: User, participant: Participant) -> Arm | None:
    """The participant's arm if `user` may see it now (audited), else None.

    Coordinators: only after eligibility is confirmed and consent holds. Statisticians of
    the study: always. Nobody else (PIs, researchers stay blind).
    """
    from coproduce.research.consent import consent_problems

    allocation = Allocation.objects.filter(participant=participant).select_related("arm").first()
    if allocation is None or not _active(user):
        return None
    if user.role == Role.STATISTICIAN and is_study_staff(user, participant.study):
        pass
    elif user.role == Role.COORDINATOR:
        if not participants_for(user, participant.study).filter(pk=participant.pk).exists():
            return None
        if participant.eligibility_confirmed_at is None:
            return None
        if participant.withdrawn_at is None and consent_problems(participant):
            return None
    else:
        return None
    record("research.arm_viewed", actor=user, patient=participant.patient, obj=allocation)
    return allocation.arm


def arms_shown_among(user: User, participants: list[Participant]) -> set[int]:
    """The pks of those whose arm `user` may see now, by `arm_for`'s rule (not audited:
    for what only tells the arm, such as treatment sessions), in a fixed number of queries."""
    from coproduce.research.consent import consent_holds_among

    if not _active(user) or user.role not in ARM_ROLES:
        return set()
    if user.role == Role.STATISTICIAN:
        mine = set(studies_for(user).values_list("pk", flat=True))
        return {p.pk for p in participants if p.study_id in mine}
    studies = {p.study for p in participants}
    allowed = set().union(
        *(participants_for(user, study).values_list("pk", flat=True) for study in studies)
    )
    eligible = [p for p in participants if p.pk in allowed and p.eligibility_confirmed_at]
    holds = consent_holds_among(eligible, on=clock.today())
    return {p.pk for p in eligible if p.withdrawn_at is not None or p.pk in holds}


def allocations_for(user: User, study: Study) -> QuerySet[Allocation]:
    """The allocation list: only for an unblinded statistician of the study (audited)."""
    if not _active(user) or user.role != Role.STATISTICIAN or not is_study_staff(user, study):
        raise Http404("No such list.")
    rows = Allocation.objects.filter(study=study).select_related("arm", "participant")
    record("research.allocations_listed", actor=user, detail={"study": study.slug})
    return rows.order_by("stratum", "position")
