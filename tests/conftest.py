"""Shared fixtures: a small clinic world with named people (see STYLE.md, practice 5)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from coproduce.people.models import Patient, Role, User
from coproduce.platform import clock
from tests import factories

# pytest-django loads settings before this file, so run pytest with COPRODUCE_MODE=test
# (the Makefile does); this default only helps subprocesses started by tests.
os.environ.setdefault("COPRODUCE_MODE", "test")


def pytest_configure(config):
    """Django's deprecation warnings are errors where our code (or a test) calls the deprecated
    thing: each `RemovedInDjango…Warning` the running Django defines, attributed to a
    coproduce or tests module (Django names the caller). Third-party libraries' own calls stay
    warnings: they are not ours to change."""
    from django.utils import deprecation

    for name in dir(deprecation):
        if name.startswith("RemovedInDjango") and name.endswith("Warning"):
            for module in ("coproduce", "tests"):
                config.addinivalue_line(
                    "filterwarnings", f"error::django.utils.deprecation.{name}:{module}"
                )


# Timing is not what property tests check; on a loaded CI machine a deadline makes them flaky.
hypothesis_settings.register_profile("coproduce", deadline=None)
hypothesis_settings.load_profile("coproduce")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each test database (one per xdist worker) gets its schema as the demo's first start
    does (platform.schema.create_fresh: ~0.3 s of CPU, not migrate's ~5.5 s); a real migrate
    runs where the fast path does not apply. tests/platform/test_fresh_schema.py checks that
    the two give the same database, running migrate itself on SQLite and PostgreSQL.

    Django's test-database creation imports call_command when it runs, so it is replaced
    for this session only; test modules imported it before and keep the original."""
    from django.core import management
    from django.db import connections

    from coproduce.platform.schema import create_fresh

    original = management.call_command

    def call_command(name, *args, **options):
        if name == "migrate" and create_fresh(connections[options.get("database", "default")]):
            return None
        return original(name, *args, **options)

    management.call_command = call_command
    yield
    management.call_command = original


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request by a Spanish- or Swedish-reading
    person leaves its language active in the thread (LocaleMiddleware never resets it), and
    the next test on the same worker would read Spanish."""
    yield
    translation.deactivate()


@dataclass
class World:
    """Alice is a patient of team A; her parent Paula acts for her teen brother Tom.

    Nina is a nurse on team A; Carl is a clinician at another site; Ruth a researcher,
    Quinn a QI lead, Cora a coordinator on team A, Adam a registry admin.
    """

    team_a: object
    team_b: object
    alice: Patient
    tom: Patient
    paula: User
    nina: User
    carl: User
    cora: User
    ruth: User
    quinn: User
    adam: User


@pytest.fixture
def demo_rows(db):
    """The whole demo as of today inside this test's transaction: seeded once per worker,
    then put back from a snapshot of its rows (tests/snapshot.py). Tests of the seeding
    itself call seed_all()."""
    from tests import snapshot

    return snapshot.seeded_demo()


@pytest.fixture
def world(db) -> World:
    site_a = factories.make_site("North Clinic")
    site_b = factories.make_site("South Clinic")
    team_a = factories.make_team(site_a, "Pain team")
    team_b = factories.make_team(site_b, "Rheumatology team")
    alice = factories.make_patient(team_a, given_name="Alice", login=True)
    today = clock.today()
    # 14 today (a 29 February birthday is taken as the 28th in other years).
    born = dt.date(today.year - 14, today.month, min(today.day, 28 if today.month == 2 else 31))
    tom = factories.make_patient(team_a, given_name="Tom", born=born, login=False)
    paula = factories.make_user(Role.FAMILY, username="paula")
    factories.link_proxy(paula, tom)
    return World(
        team_a=team_a,
        team_b=team_b,
        alice=alice,
        tom=tom,
        paula=paula,
        nina=factories.make_user(Role.NURSE, username="nina", teams=[team_a]),
        carl=factories.make_user(Role.CLINICIAN, username="carl", teams=[team_b]),
        cora=factories.make_user(Role.COORDINATOR, username="cora", teams=[team_a]),
        ruth=factories.make_user(Role.RESEARCHER, username="ruth"),
        quinn=factories.make_user(Role.QI_LEAD, username="quinn"),
        adam=factories.make_user(Role.REGISTRY_ADMIN, username="adam"),
    )


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd, tests/smtp.py) on a free loopback port, with Django's
    e-mail settings pointed at it for this test. `smtp_server.wait_for(n)` waits for n
    messages; `.messages`, `.to(address)`, `.refuse`, `.fail_next(n)`, `.environ()` (for a
    `coproduce` subprocess)."""
    from tests.smtp import SmtpServer, point_mail_at

    with SmtpServer() as server:
        point_mail_at(settings, server.port)
        yield server
