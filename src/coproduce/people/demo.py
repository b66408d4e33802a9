"""Demo network: 3 Swedish sites with 2 care teams each and a US site with an adult pain
team; staff, ~60 patients, family logins, and a Spanish- and a Swedish-speaking patient."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password

from coproduce.demo import DEMO_PASSWORD, DemoContext
from coproduce.people.models import (
    PATIENT_SIDE_ROLES,
    CareTeam,
    CareTeamMembership,
    Condition,
    Network,
    Patient,
    PatientCondition,
    ProxyKind,
    ProxyLink,
    Role,
    Site,
    User,
)
from coproduce.people.services import set_up_site
from coproduce.platform.models import Channel

SITES = [
    (
        "north",
        "Northbridge Pain & Rheumatology",
        "Europe/Stockholm",
        [("Pain team", Condition.CHRONIC_PAIN), ("Rheumatology team", Condition.RA)],
    ),
    (
        "riverside",
        "Riverside Children's Hospital",
        "Europe/Stockholm",
        [("Pediatric IBD team", Condition.IBD), ("Cystic fibrosis team", Condition.CF)],
    ),
    (
        "harbour",
        "Harbour Community Health",
        "Europe/Stockholm",
        [
            ("Chronic pain team", Condition.CHRONIC_PAIN),
            ("Inflammatory conditions team", Condition.RA),
        ],
    ),
]

# The teams' names in the demo's other languages (a clinic enters its own in the admin).
TEAM_NAMES = {
    "Pain team": {"es": "Equipo de dolor", "sv": "Smärtteamet"},
    "Rheumatology team": {"es": "Equipo de reumatología", "sv": "Reumatologiteamet"},
    "Pediatric IBD team": {"es": "Equipo pediátrico de EII", "sv": "Barn-IBD-teamet"},
    "Cystic fibrosis team": {
        "es": "Equipo de fibrosis quística",
        "sv": "Teamet för cystisk fibros",
    },
    "Chronic pain team": {"es": "Equipo de dolor crónico", "sv": "Teamet för långvarig smärta"},
    "Inflammatory conditions team": {
        "es": "Equipo de enfermedades inflamatorias",
        "sv": "Teamet för inflammatoriska sjukdomar",
    },
    "Adult pain team": {"es": "Equipo de dolor para adultos", "sv": "Smärtteamet för vuxna"},
}

STAFF = [
    # username, role, first, last, teams as (site slug, team name)
    (
        "nurse",
        Role.NURSE,
        "Nadia",
        "Lind",
        [("north", "Pain team"), ("riverside", "Pediatric IBD team")],
    ),
    (
        "clinician",
        Role.CLINICIAN,
        "Jonas",
        "Berg",
        [
            ("north", "Pain team"),
            ("north", "Rheumatology team"),
            ("riverside", "Pediatric IBD team"),
        ],
    ),
    # The coordinator is on no care team: she sees her study's consented participants
    # (research.StudyStaff, seeded by research.demo), not the teams' crisis alerts.
    ("coordinator", Role.COORDINATOR, "Cecilia", "Ek", []),
    ("researcher", Role.RESEARCHER, "Ravi", "Shah", []),
    ("qi", Role.QI_LEAD, "Quinn", "Adeyemi", []),
    ("pi", Role.INVESTIGATOR, "Priya", "Natarajan", []),
    ("statistician", Role.STATISTICIAN, "Samuel", "Okafor", []),
    ("admin", Role.REGISTRY_ADMIN, "Ada", "Holm", []),
    (
        "nurse.harbour",
        Role.NURSE,
        "Hanna",
        "Sund",
        [("harbour", "Chronic pain team"), ("harbour", "Inflammatory conditions team")],
    ),
    ("clinician.cf", Role.CLINICIAN, "Farah", "Nilsson", [("riverside", "Cystic fibrosis team")]),
]

GIVEN = [
    "Maria",
    "Erik",
    "Aisha",
    "Lars",
    "Sofia",
    "Omar",
    "Elin",
    "Johan",
    "Fatima",
    "Karl",
    "Ingrid",
    "Mehmet",
    "Anna",
    "Per",
    "Leila",
    "Nils",
    "Sara",
    "Ali",
    "Maja",
    "Olof",
]
FAMILY = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Hassan",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Yilmaz",
]

PATIENTS_PER_TEAM = 10


def _user(ctx: DemoContext, username: str, role: str, first: str, last: str) -> User:
    # Staff have addresses so that the demo shows an urgent alert's whole path (outbox,
    # e-mail); patients' own addresses are on their Patient rows.
    email = f"{username}@example.org" if role not in PATIENT_SIDE_ROLES else ""
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"role": role, "first_name": first, "last_name": last, "email": email},
    )
    if created:
        # One hash for the one public demo password: argon2 takes a quarter of a second
        # per hash, four seconds of the demo's first start for its sixteen logins.
        if "password_hash" not in ctx.objects:
            ctx.objects["password_hash"] = make_password(DEMO_PASSWORD)
        user.password = ctx.objects["password_hash"]
        user.save()
    ctx.count("users", created)
    return user


def _phone(ctx: DemoContext) -> str:
    parts = (ctx.rng.randint(100, 999), ctx.rng.randint(10, 99), ctx.rng.randint(10, 99))
    return "+46 70 {} {} {}".format(*parts)


def _patient(
    ctx: DemoContext,
    registry_id: str,
    team: CareTeam,
    condition: str,
    given: str,
    family: str,
    born: dt.date,
) -> Patient:
    patient, created = Patient.objects.get_or_create(
        registry_id=registry_id,
        defaults={
            "care_team": team,
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "email": f"{given.lower()}.{family.lower()}@example.org",
            "phone": _phone(ctx),
            "preferred_channel": ctx.rng.choice([Channel.EMAIL, Channel.SMS]),
        },
    )
    PatientCondition.objects.get_or_create(patient=patient, condition=condition)
    ctx.count("patients", created)
    return patient


def seed(ctx: DemoContext) -> None:
    network, _ = Network.objects.get_or_create(name="coproduce demo network")
    teams: dict[tuple[str, str], CareTeam] = {}
    for slug, name, zone, team_specs in SITES:
        site = Site.objects.filter(slug=slug).first() or set_up_site(
            actor=None,
            network=network,
            name=name,
            slug=slug,
            time_zone=zone,
            urgent_email=f"on-call.{slug}@example.org",
            urgent_phone=f"+46 8 {100 + len(slug)} 00 00",
        )
        for team_name, condition in team_specs:
            team, _ = CareTeam.objects.get_or_create(
                site=site, name=team_name, defaults={"names": TEAM_NAMES[team_name]}
            )
            teams[(slug, team_name)] = team
            ctx.objects.setdefault("team_condition", {})[team.pk] = condition

    for username, role, first, last, memberships in STAFF:
        user = _user(ctx, username, role, first, last)
        for key in memberships:
            CareTeamMembership.objects.get_or_create(user=user, care_team=teams[key])
    ctx.objects["teams"] = teams

    patients: list[Patient] = []
    today = ctx.today
    for index, ((slug, _team_name), team) in enumerate(sorted(teams.items())):
        condition = ctx.objects["team_condition"][team.pk]
        pediatric = slug == "riverside"
        for n in range(PATIENTS_PER_TEAM):
            age = ctx.rng.randint(6, 17) if pediatric else ctx.rng.randint(24, 82)
            born = today - dt.timedelta(days=age * 365 + ctx.rng.randint(0, 364))
            patient = _patient(
                ctx,
                f"CP-DEMO{index:02d}{n:02d}",
                team,
                condition,
                ctx.rng.choice(GIVEN),
                ctx.rng.choice(FAMILY),
                born,
            )
            patients.append(patient)

    # The named demo people.
    pain_team = teams[("north", "Pain team")]
    ibd_team = teams[("riverside", "Pediatric IBD team")]
    cf_team = teams[("riverside", "Cystic fibrosis team")]
    me = _patient(
        ctx,
        "CP-DEMOPAT1",
        pain_team,
        Condition.CHRONIC_PAIN,
        "Maria",
        "Lindqvist",
        dt.date(today.year - 52, 4, 12),
    )
    me.user = _user(ctx, "patient", Role.PATIENT, "Maria", "Lindqvist")
    me.save(update_fields=["user"])
    teen = _patient(
        ctx,
        "CP-DEMOTEEN",
        ibd_team,
        Condition.IBD,
        "Leo",
        "Karlsson",
        dt.date(today.year - 15, 9, 3),
    )
    teen.user = _user(ctx, "teen", Role.PATIENT, "Leo", "Karlsson")
    teen.save(update_fields=["user"])
    child = _patient(
        ctx,
        "CP-DEMOKID1",
        cf_team,
        Condition.CF,
        "Ella",
        "Karlsson",
        dt.date(today.year - 9, 2, 20),
    )
    parent = _user(ctx, "parent", Role.FAMILY, "Karin", "Karlsson")
    for kid in (teen, child):
        ProxyLink.objects.get_or_create(
            user=parent, patient=kid, defaults={"kind": ProxyKind.PARENT, "relationship": "mother"}
        )
    patients += [me, teen, child]
    ctx.objects["patients"] = patients
    ctx.objects["named"] = {"patient": me, "teen": teen, "child": child, "parent": parent}
    Site.objects.filter(slug__in=[s[0] for s in SITES], country="").update(country="SE")
    ctx.objects["language_patients"] = _language_patients(ctx, network, teams)


def _language_patients(ctx: DemoContext, network: Network, teams) -> list[Patient]:
    """The US site beside the Swedish ones, with Lucía (`paciente`, Spanish) in its pain team,
    and Astrid (`patient_sv`, Swedish, rheumatoid arthritis) at Northbridge. Seeded after the
    rest and without drawing random numbers, so the rest of the demo stays as it was."""
    site = Site.objects.filter(slug="lakeview").first() or set_up_site(
        actor=None,
        network=network,
        name="Lakeview Pain Center",
        slug="lakeview",
        time_zone="America/Chicago",
        urgent_email="on-call.lakeview@example.org",
        urgent_phone="+1 312 555 0100",
    )
    if site.country != "US":
        site.country = "US"
        site.save(update_fields=["country"])
    team, _ = CareTeam.objects.get_or_create(
        site=site, name="Adult pain team", defaults={"names": TEAM_NAMES["Adult pain team"]}
    )
    teams[("lakeview", "Adult pain team")] = team
    for username in ("nurse", "clinician"):
        CareTeamMembership.objects.get_or_create(
            user=User.objects.get(username=username), care_team=team
        )
    today = ctx.today
    people = [
        ("CP-DEMOPACI", "paciente", team, Condition.CHRONIC_PAIN, "Lucía", "Hernández", 47, "es"),
        (
            "CP-DEMOPASV",
            "patient_sv",
            teams[("north", "Rheumatology team")],
            Condition.RA,
            "Astrid",
            "Nyström",
            58,
            "sv",
        ),
    ]
    made = []
    for registry_id, username, care_team, condition, given, family, age, language in people:
        patient, created = Patient.objects.get_or_create(
            registry_id=registry_id,
            defaults={
                "care_team": care_team,
                "given_name": given,
                "family_name": family,
                "date_of_birth": dt.date(today.year - age, 5, 14),
                "email": f"{username}@example.org",
                "phone": "+1 312 555 0142" if language == "es" else "+46 70 555 01 42",
                "preferred_channel": Channel.SMS,
                "preferred_language": language,
            },
        )
        ctx.count("patients", created)
        PatientCondition.objects.get_or_create(patient=patient, condition=condition)
        user = _user(ctx, username, Role.PATIENT, given, family)
        if user.language != language:
            user.language = language
            user.save(update_fields=["language"])
        if patient.user_id != user.pk:
            patient.user = user
            patient.save(update_fields=["user"])
        made.append(patient)
    return made
