"""Demo study EMPOWER at the sites with adult pain teams: about 40 people at every stage.

Everything goes through the research services with past times, so the screening log,
consents (with their PDFs), allocations, sessions and contacts are what real use leaves.
Maria (the `patient` login) is left as a candidate, so the whole path can be walked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from coproduce.careplans import services as careplans
from coproduce.checkins import demo as checkins_demo
from coproduce.checkins.models import (
    CheckinResponse,
    Enrollment,
    Program,
    Schedule,
    ScheduleKind,
    Score,
)
from coproduce.checkins.scheduling import sync_patient
from coproduce.demo import DemoContext
from coproduce.instruments.scoring import score
from coproduce.people.models import CareTeam, Condition, Patient, PatientCondition, User
from coproduce.platform import clock
from coproduce.research import consent, followup, screening
from coproduce.research.models import (
    Arm,
    ConfirmedCriterion,
    ConsentDocument,
    CriterionKind,
    Signer,
    Study,
    StudyStaff,
)
from coproduce.research.outcomes import TAPERING_SUCCESS
from coproduce.research.participants import DeclineReason, Participant, Status
from coproduce.research.quality import run_checks

SITES = [("north", "Pain team"), ("harbour", "Chronic pain team")]
SEED = "empower-demo-seed"  # public on purpose: a demo's allocations should be the same each run

ASSESSMENTS = [
    ("Baseline", ScheduleKind.AFTER_START, ["peg", "phq9", "gad7"], {"days_after_start": 0}),
    ("Weekly pain", ScheduleKind.WEEKLY, ["peg"], {"weekday": 0, "ask_once_per_week": True}),
    ("Monthly satisfaction", ScheduleKind.MONTHLY, ["collaborate"], {"day_of_month": 15}),
    ("3 months", ScheduleKind.AFTER_START, ["peg", "phq9", "gad7"], {"days_after_start": 91}),
    ("6 months", ScheduleKind.AFTER_START, ["peg", "phq9", "gad7"], {"days_after_start": 182}),
    ("12 months", ScheduleKind.AFTER_START, ["peg", "phq9", "gad7"], {"days_after_start": 365}),
]

ADULT_TEXT = "\n\n".join(
    [
        (
            "EMPOWER compares ways of supporting people who reduce their opioid dose at their own "
            "pace. Everyone in the study tapers with their own clinic, as they would anyway."
        ),
        (
            "If you take part, a computer chooses by chance one of three groups: eight sessions "
            "of cognitive behavioural therapy for chronic pain with a therapist, six sessions of "
            "a pain self-management course led by peers, or tapering with your clinic only. "
            "Sessions can be by video or phone."
        ),
        (
            "You answer short surveys about pain, mood and your care: at the start, every week "
            "with your usual check-in, once a month, and after 3, 6 and 12 months. You get $10 "
            "for each completed study survey."
        ),
        (
            "Taking part is your choice. You can stop the sessions, stop the surveys, or ask us "
            "not to use your data, at any time, without giving a reason. Your care, your check-"
            "ins and the safety net that answers them do not change whatever you decide."
        ),
    ]
)

# Stage plan: (status, how many). 40 people across the two sites.
STAGES = [
    ("screened", 3),
    ("approached", 3),
    ("declined", 4),
    ("ineligible", 3),
    ("consented", 3),
    ("randomised", 4),
    ("active", 8),
    ("completed", 3),
    ("withdrawn:intervention", 3),
    ("withdrawn:follow_up", 3),
    ("withdrawn:data", 3),
]
DECLINES = [
    DeclineReason.NO_TIME,
    DeclineReason.NO_RANDOMISATION,
    DeclineReason.PREFERS_TREATMENT,
    DeclineReason.NOT_INTERESTED,
]
EXTRA_PER_SITE = 10
GIVEN = ["Rosa", "Tomas", "Hedda", "Yusuf", "Greta", "Aron", "Lina", "Viktor", "Noor", "Emil"]
FAMILY = ["Berglund", "Sandberg", "Lundqvist", "Demir", "Holm", "Ekström", "Axelsson", "Lund"]


def seed(ctx: DemoContext) -> None:
    if Study.objects.filter(slug="empower").exists():
        return  # seeded before: everything below is made once, with the study
    coordinator = User.objects.get(username="coordinator")
    pi = User.objects.get(username="pi")
    statistician = User.objects.get(username="statistician")
    researcher = User.objects.get(username="researcher")
    clinician = User.objects.get(username="clinician")
    study = _study(ctx, pi)
    for user in (pi, statistician, researcher):
        StudyStaff.objects.create(study=study, user=user)
    teams = [CareTeam.objects.get(site__slug=s, name=t) for s, t in SITES]
    for team in teams:
        StudyStaff.objects.create(study=study, user=coordinator, site=team.site)
    pool = _pool(ctx, study, teams, clinician)
    now = clock.now()
    stages = [stage for stage, n in STAGES for _ in range(n)]
    for index, (patient, stage) in enumerate(zip(pool, stages, strict=False)):
        _walk(ctx, study, patient, stage, index, coordinator, now)
    _answers_so_far(ctx, study, now)
    for patient in pool:
        sync_patient(patient, now=now)
    # A new consent version is waiting for the PI: re-consent will be asked once signed off.
    ConsentDocument.objects.create(
        study=study,
        signer=Signer.ADULT,
        version="2.0",
        approved_on=ctx.today - dt.timedelta(days=3),
        title="EMPOWER: information and consent",
        body=ADULT_TEXT + "\n\nNew in version 2.0: the 12-month survey adds five questions "
        "about sleep, and study data may be shared, without names, with other pain studies.",
        reconsent_required=True,
    )
    # The data-quality rules run over what the demo left: missed assessments, a duplicate.
    run_checks(study, now=now)
    ctx.count("studies", True)


def _study(ctx: DemoContext, pi: User) -> Study:
    assessments = Program.objects.create(
        slug="empower-assessments",
        name="EMPOWER study assessments",
        names={"es": "Evaluaciones del estudio EMPOWER", "sv": "EMPOWER-studiens bedömningar"},
        condition=Condition.CHRONIC_PAIN,
        description="The EMPOWER study's schedule of assessments.",
    )
    for name, kind, instruments, extra in ASSESSMENTS:
        Schedule.objects.create(
            program=assessments,
            name=name,
            kind=kind,
            instruments=instruments,
            reminder_days=[2, 4],
            expires_after_days=10,
            **extra,
        )
    study = Study.objects.create(
        slug="empower",
        title="EMPOWER",
        protocol_version="2.3",
        description="Pragmatic trial of behavioural support during patient-centred opioid "
        "tapering: CBT for chronic pain, pain self-management, or taper only.",
        condition=Condition.CHRONIC_PAIN,
        care_program=Program.objects.get(slug="opioid-taper"),
        min_age=18,
        assessments=assessments,
        strata_factors=["age_group"],
        block_multipliers=[1, 2],
        randomisation_seed=SEED,
        outcomes=[TAPERING_SUCCESS],
    )
    study.sites.add(*[CareTeam.objects.get(site__slug=s, name=t).site for s, t in SITES])
    for code, name, sessions in (
        ("cbt", "CBT for chronic pain (8 sessions)", 8),
        ("self-management", "Pain self-management (6 sessions)", 6),
        ("taper-only", "Taper only", 0),
    ):
        Arm.objects.create(study=study, code=code, name=name, ratio=1, sessions=sessions)
    for order, (criterion, text) in enumerate(
        [
            (CriterionKind.INCLUSION, "Agrees to taper at a pace set with their clinician"),
            (CriterionKind.INCLUSION, "Can join sessions by video, phone or in person"),
            (CriterionKind.EXCLUSION, "Opioid use disorder needing specialist treatment"),
            (CriterionKind.EXCLUSION, "Pain from cancer or a terminal illness"),
        ]
    ):
        ConfirmedCriterion.objects.create(study=study, kind=criterion, text=text, order=order)
    approved = ctx.today - dt.timedelta(days=400)
    for signer, title, body in (
        (Signer.ADULT, "EMPOWER: information and consent", ADULT_TEXT),
        (Signer.PARENT, "EMPOWER: permission for your child", ADULT_TEXT),
        (Signer.ASSENT, "EMPOWER: do you want to take part?", ADULT_TEXT),
    ):
        ConsentDocument.objects.create(
            study=study,
            signer=signer,
            version="1.0",
            approved_on=approved,
            title=title,
            body=body,
            signed_off_by=pi,
            signed_off_at=clock.now() - dt.timedelta(days=399),
        )
    return study


def _pool(ctx: DemoContext, study: Study, teams: list[CareTeam], clinician: User) -> list[Patient]:
    """The pain patients of the two teams (Maria aside), plus ten more on opioids per team."""
    program = Program.objects.get(slug="opioid-taper")
    pool = []
    for t, team in enumerate(teams):
        for n in range(EXTRA_PER_SITE):
            born = ctx.today - dt.timedelta(days=365 * ctx.rng.randint(28, 76) + n)
            given, family = GIVEN[n], FAMILY[(n + 3 * t) % len(FAMILY)]
            patient = Patient.objects.create(
                registry_id=f"CP-DEMOS{t}{n:02d}",
                care_team=team,
                given_name=given,
                family_name=family,
                date_of_birth=born,
                email=f"{given.lower()}.{family.lower()}@example.org",
            )
            PatientCondition.objects.create(patient=patient, condition=Condition.CHRONIC_PAIN)
            Enrollment.objects.create(
                # Enrolled recently: registry.demo gives taper histories to the earliest only.
                patient=patient,
                program=program,
                started_on=ctx.today - dt.timedelta(days=120),
            )
        for patient in team.patients.filter(conditions__condition=Condition.CHRONIC_PAIN).exclude(
            registry_id="CP-DEMOPAT1"
        ):
            if not patient.medications.exists():
                careplans.record_medication(
                    patient,
                    drug=ctx.rng.choice(["morphine", "oxycodone", "hydrocodone"]),
                    strength=Decimal(ctx.rng.choice([5, 10, 15])),
                    per_day=Decimal(ctx.rng.choice([2, 3, 4])),
                    started_on=ctx.today - dt.timedelta(days=700),
                    by=clinician,
                )
            pool.append(patient)
    eligible = set(screening.registry_eligible(study, teams[0].site, on=ctx.today))
    eligible |= set(screening.registry_eligible(study, teams[1].site, on=ctx.today))
    # Alternate the sites so every stage has people at both.
    by_site = [[p for p in pool if p.care_team_id == team.pk and p in eligible] for team in teams]
    mixed = [p for pair in zip(*by_site, strict=False) for p in pair]
    return mixed + [p for group in by_site for p in group if p not in mixed]


def _walk(ctx, study, patient, stage, index, by, now) -> Participant:
    """Take one patient as far as `stage`, with times spread over the past year."""
    status, _sep, scope = stage.partition(":")
    days_ago = 20 + (index * 7) % 300
    if status in ("randomised",):
        days_ago = 8 + index % 6  # sessions start a week after: some are this week
    if status == "active" and index % 3 == 0:
        days_ago = 91  # their 3-month call is due today
    start = now - dt.timedelta(days=days_ago + 10)
    p = screening.screen(study, patient, by=by, now=start)
    if status == "screened":
        return p
    if status == "declined":
        screening.decline(p, reason=DECLINES[index % len(DECLINES)], by=by, now=start)
        return p
    screening.approach(p, by=by, now=start + dt.timedelta(hours=1))
    if status == "approached":
        return p
    criteria = list(study.confirmed_criteria.all())
    answers = {str(c.pk): c.kind == CriterionKind.INCLUSION for c in criteria}
    if status == "ineligible":
        answers[str(criteria[-1].pk)] = True
    screening.confirm_eligibility(p, answers, by=by, now=start + dt.timedelta(days=1))
    if status == "ineligible":
        return p
    signed_at = start + dt.timedelta(days=2)
    for signer in consent.signers_needed(p, on=signed_at.date()):
        token = consent.issue_link(p, signer, by=by, now=signed_at - dt.timedelta(hours=2))
        link = consent.link_for_token(token, now=signed_at)
        consent.sign(
            link,
            typed_name=patient.display_name,
            agreed=True,
            device="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148",
            now=signed_at,
        )
    if status == "consented":
        return p
    # The same clinic wall time `days_ago` days back, so that its date on the clinic's
    # calendar is exactly that many days before today (a call due "today" is due today at any
    # hour, across summer time: 91 days before 22:30 UTC in December is 00:30 in Stockholm).
    zone = patient.care_team.site.zone
    local = now.astimezone(zone)
    randomised_at = dt.datetime.combine(
        local.date() - dt.timedelta(days=days_ago), local.time(), tzinfo=zone
    )
    p.refresh_from_db()
    followup.randomise_and_start(p, by=by, now=randomised_at)
    p.refresh_from_db()
    if index % 2:  # half meet by video
        for session in p.sessions.all():
            session.telehealth_link = (
                f"https://telehealth.example.org/empower/{p.pk}-{session.number}"
            )
            session.save(update_fields=["telehealth_link"])
    for session in p.sessions.filter(starts_at__lt=now).order_by("number"):
        if status == "randomised":
            break
        attended = ctx.rng.random() < 0.8 or session.number == 1
        followup.record_attendance(session, attended=attended, by=by, now=session.starts_at)
    if p.status == Status.RANDOMISED and status != "randomised":
        p.status, p.active_at = Status.ACTIVE, randomised_at + dt.timedelta(days=7)
        p.save(update_fields=["status", "active_at"])  # taper only: active from the first week
    for task in p.contact_tasks.filter(due_on__lt=ctx.today):
        followup.log_contact(p, outcome="reached", task=task, by=by, now=now - dt.timedelta(days=1))
    if status == "completed":
        followup.complete(p, by=by, now=now - dt.timedelta(days=2))
    elif status == "withdrawn":
        followup.withdraw(
            p,
            scope=scope,
            reason=["Moved away", "Too busy with work", "No longer wants to be in a study"][
                index % 3
            ],
            by=by,
            now=now - dt.timedelta(days=5),
        )
    return p


def _answers_so_far(ctx: DemoContext, study: Study, now: dt.datetime) -> None:
    """Study surveys answered like people do: most, not all; the last week's partly open."""
    responses, pending = [], []
    for p in Participant.objects.filter(study=study, randomised_at__isnull=False):
        for due in followup.assessments_due(p, now=now):
            if due.state not in ("missed", "overdue"):
                continue
            if ctx.rng.random() > (0.5 if due.state == "overdue" else 0.85):
                continue
            at = due.due_at + dt.timedelta(hours=ctx.rng.randint(1, 30))
            if at >= now:
                continue
            level = ctx.rng.uniform(3, 8)
            answers = {i: checkins_demo._answers(ctx, i, level) for i in due.instruments}
            results = [score(i, None, answers[i]) for i in due.instruments]
            responses.append(
                CheckinResponse(
                    patient=p.patient,
                    source="demo",
                    answers=answers,
                    versions={r.instrument_id: r.version for r in results},
                    idempotency_key=f"demo-study:{p.pk}:{due.name}:{due.due_at:%Y%m%d}",
                    submitted_at=at,
                )
            )
            pending.append(results)
    CheckinResponse.objects.bulk_create(responses, batch_size=500)
    Score.objects.bulk_create(
        [
            Score.from_result(r, x)
            for r, results in zip(responses, pending, strict=True)
            for x in results
        ],
        batch_size=1000,
    )
