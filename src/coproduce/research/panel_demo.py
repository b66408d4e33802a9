"""Demo advisory panel of EMPOWER: members, materials with versions and feedback, incentives.

Past surveys are sent and answered through the panel services at past times, so the
feedback and the ledger are what real use leaves. The `panelist` login has one survey
waiting (its link is in the outbox) and a statement with a year of membership on it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from coproduce.demo import DEMO_PASSWORD, DemoContext
from coproduce.people.models import Role, User
from coproduce.platform import clock
from coproduce.research import incentives, panel
from coproduce.research.incentive_models import IncentiveRule, RuleKind
from coproduce.research.models import Study
from coproduce.research.panel_models import (
    AgeGroup,
    Material,
    MaterialKind,
    MaterialVersion,
    Panel,
    PanelMember,
    PanelSurvey,
)

REGIONS = ["Northeast", "Midwest", "South", "West", "Pacific Northwest", "Southwest"]
GENDERS = ["Woman", "Man", "woman", "Non-binary", "Man"]
ETHNICITIES = ["White", "Black or African American", "Hispanic or Latino", "Asian", "White", ""]
AGES = [AgeGroup.FROM_30, AgeGroup.FROM_50, AgeGroup.FROM_50, AgeGroup.FROM_65, AgeGroup.UNDER_30]
NAMES = ["Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Jules", "Kai"]
OTHER_MEMBERS = 29

MATERIALS = [
    (
        MaterialKind.DESCRIPTION,
        "Study description",
        [
            (
                "1.0",
                "EMPOWER studies ways to support people who reduce opioids at their own pace.",
                "",
            ),
            (
                "1.1",
                "EMPOWER asks: how can we best support you while you lower your opioid dose, "
                "at a pace you choose?\n\nYou keep your own clinic and your own doctor.",
                "Plainer words; says first that the pace is the patient's.",
            ),
            (
                "2.0",
                "EMPOWER asks how to support you best while you lower your opioid dose, at "
                "your own pace.\n\nYou keep your own clinic and doctor. Nobody will stop your "
                "medicine against your wishes.",
                "Adds that nobody stops a medicine against the patient's wishes (panel request).",
            ),
        ],
    ),
    (
        MaterialKind.WEBSITE,
        "Study website home page",
        [
            (
                "1.0",
                "Welcome to EMPOWER. Read about the study, the three groups and who to call.",
                "",
            ),
            (
                "1.1",
                "Welcome to EMPOWER. What taking part means, the three groups, and who to call "
                "with questions — in plain words.",
                "Shorter sentences; phone number at top.",
            ),
        ],
    ),
    (
        MaterialKind.LOGO,
        "Study logo",
        [
            ("1.0", "A rising arrow over a pill bottle.", ""),
            ("2.0", "Two hands holding a seedling.", "Panel found the pill bottle stigmatising."),
        ],
    ),
    (
        MaterialKind.EDUCATION,
        "Living well with chronic pain (booklet)",
        [
            (
                "1.0",
                "Eight short chapters: pain and the brain, sleep, movement, mood, tapering.",
                "",
            ),
            (
                "1.1",
                "Eight short chapters with a summary box each: pain and the brain, sleep, "
                "movement, mood, tapering at your own pace.",
                "Summary boxes added.",
            ),
        ],
    ),
    (
        MaterialKind.INSTRUMENT,
        "Monthly study survey",
        [
            ("1.0", "PEG pain scale, PHQ-9, GAD-7 and the collaboRATE questions.", ""),
            (
                "1.1",
                "PEG pain scale, PHQ-9, GAD-7 and collaboRATE, with a note on how long it "
                "takes (about 8 minutes).",
                "States how long it takes.",
            ),
        ],
    ),
]
QUESTIONS = [
    {
        "id": "clear",
        "kind": "choice",
        "text": "Is this easy to understand?",
        "options": ["Yes", "Mostly", "No"],
    },
    {
        "id": "respectful",
        "kind": "choice",
        "text": "Does it speak to you with respect?",
        "options": ["Yes", "Somewhat", "No"],
    },
    {"id": "change", "kind": "text", "text": "What would you change?", "options": []},
]
COMMENTS = [
    "Shorter sentences, please.",
    "Say who to call.",
    "",
    "I like it.",
    "The word 'taper' needs explaining.",
    "",
]


def seed(ctx: DemoContext) -> None:
    study = Study.objects.filter(slug="empower").first()
    if study is None or study.panels.exists():
        return  # no study to advise, or seeded before
    now = clock.now()
    the_panel = Panel.objects.create(
        study=study, name="EMPOWER national patient advisory panel", time_zone="America/New_York"
    )
    IncentiveRule.objects.create(
        study=study, kind=RuleKind.PER_SURVEY, amount_cents=1000, yearly_cap=8
    )
    IncentiveRule.objects.create(
        panel=the_panel, kind=RuleKind.PER_SURVEY, amount_cents=1000, yearly_cap=8
    )
    IncentiveRule.objects.create(panel=the_panel, kind=RuleKind.MEMBERSHIP_YEAR, amount_cents=2000)
    members = [_member(ctx, the_panel, "panelist", "Pat Morgan", 0, days_ago=430, password=True)]
    for n in range(OTHER_MEMBERS):
        name = f"{NAMES[n % len(NAMES)]} {chr(65 + n // len(NAMES))}."
        members.append(_member(ctx, the_panel, f"panel{n + 1:02d}", name, n + 1, days_ago=400 - n))
    # Seven surveys (EMPOWER's number): six answered in the past, the newest waiting.
    versions = [_material(study, *m) for m in MATERIALS]
    asked = [
        (versions[0][0], 330),
        (versions[2][0], 300),
        (versions[0][1], 200),
        (versions[1][0], 120),
        (versions[3][0], 60),
        (versions[2][1], 25),
    ]
    for index, (version, days_ago) in enumerate(asked):
        at = now - dt.timedelta(days=days_ago)
        survey = _survey(the_panel, version, at)
        tokens = panel.send_survey(survey, by=None, now=at)
        for member in members:
            if member.pk not in tokens or ctx.rng.random() < 0.15:
                continue
            invitation = survey.invitations.get(member=member)
            answers = {
                "clear": ctx.rng.choice(["Yes", "Yes", "Mostly", "No"]),
                "respectful": ctx.rng.choice(["Yes", "Yes", "Somewhat"]),
                "change": ctx.rng.choice(COMMENTS),
            }
            with transaction.atomic():
                panel.submit(invitation, answers, now=at + dt.timedelta(hours=2 + index))
    waiting = _survey(the_panel, versions[0][2], now - dt.timedelta(days=1))
    panel.send_survey(waiting, by=None, now=now - dt.timedelta(days=1))
    incentives.accrue_due(now=now)
    ctx.count("panel members", True)


def _member(
    ctx: DemoContext,
    the_panel: Panel,
    username: str,
    name: str,
    n: int,
    *,
    days_ago: int,
    password: bool = False,
) -> PanelMember:
    first, _sep, last = name.partition(" ")
    user = User(
        username=username,
        role=Role.PANELIST,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
    )
    if password:
        user.set_password(DEMO_PASSWORD)
    else:
        user.set_unusable_password()
    user.save()
    return PanelMember.objects.create(
        panel=the_panel,
        user=user,
        display_name=name,
        email=user.email,
        region=REGIONS[n % len(REGIONS)],
        age_group=AGES[n % len(AGES)],
        gender=GENDERS[n % len(GENDERS)],
        ethnicity=ETHNICITIES[n % len(ETHNICITIES)],
        joined_on=ctx.today - dt.timedelta(days=days_ago),
    )


def _material(study: Study, kind: str, title: str, versions) -> list[MaterialVersion]:
    material = Material.objects.create(study=study, kind=kind, title=title)
    made = []
    for step, (version, content, changes) in enumerate(versions):
        at = clock.now() - dt.timedelta(days=360 - 100 * step)
        made.append(
            MaterialVersion.objects.create(
                material=material, version=version, content=content, changes=changes, created_at=at
            )
        )
    return made


def _survey(the_panel: Panel, version: MaterialVersion, at: dt.datetime) -> PanelSurvey:
    return PanelSurvey.objects.create(
        panel=the_panel,
        version=version,
        title=f"{version.material.title}, version {version.version}: your view",
        questions=QUESTIONS,
        created_at=at,
    )
