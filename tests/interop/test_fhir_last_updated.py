"""meta.lastUpdated and _lastUpdated search on Patient, Goal, CarePlan, MedicationStatement and
Appointment.

Records are written at explicit instants with the application clock frozen, then one of
each is changed later through the app's own service, so each search both finds and leaves
out by when the record last changed (not when it was created).
"""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from coproduce.careplans import services
from coproduce.careplans.goals import add_action, add_goal, set_action_done, update_goal
from coproduce.careplans.models import ActionItem, Goal, Medication, TaperPlan
from coproduce.people.models import Patient, Role
from coproduce.people.services import give_patient_login, register_patient
from coproduce.platform import clock
from tests import factories
from tests.careplans.helpers import clinician_for, oxycodone_plan
from tests.interop.schema import check_r4b, r4_schema_errors, require_schema

BASE = "/fhir/R4/"
STORED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CHANGED = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)


def _found(client, resource, **params) -> list[dict]:
    """The resources found, each checked against the R4B models."""
    res = client.get(BASE + resource, params)
    assert res.status_code == 200, res.content
    found = [e["resource"] for e in res.json()["entry"]]
    for resource_json in found:
        check_r4b(resource_json)
    return found


def _ids(client, resource, **params):
    """The ids found, with their meta.lastUpdated (the official R4 JSON schema is checked in
    a test of its own, so that these run where the schema is not installed)."""
    return {r["id"]: r["meta"]["lastUpdated"] for r in _found(client, resource, **params)}


def _assert_window(client, resource, query, stored: str, changed: str):
    """`stored` was last changed at STORED, `changed` at CHANGED: each prefix picks right."""
    both = {stored: STORED.isoformat(), changed: CHANGED.isoformat()}

    def found(*values):
        return _ids(client, resource, **query, _lastUpdated=list(values))

    assert found("ge2026-03-01") == both
    assert found("ge2026-03-09") == {changed: both[changed]}
    assert found("gt2026-03-02") == {changed: both[changed]}
    assert found("lt2026-03-09") == {stored: both[stored]}
    assert found("le2026-03-02") == {stored: both[stored]}
    assert found("eq2026-03-09") == {changed: both[changed]}
    assert found("2026-03-02T09:00:00Z") == {stored: both[stored]}
    assert found("ge2026-03-02", "lt2026-03-10") == both
    assert found("ne2026-03-02") == {changed: both[changed]}
    assert found("gt2026-03-09T09:00:00+00:00") == {}
    assert found("lt2026-03-02") == {}


@pytest.fixture
def nurse_and_patients(world):
    """Two patients of a team only Nora nurses, registered at STORED; the second is given a
    login at CHANGED."""
    team = factories.make_team(factories.make_site("East Clinic"), "Pain team")
    nora = factories.make_user(Role.NURSE, username="nora", teams=[team])
    with clock.frozen(STORED):
        first, second = (
            register_patient(
                actor=nora,
                care_team=team,
                given_name=name,
                family_name="Lund",
                date_of_birth=dt.date(1970, 1, 1),
                conditions=["chronic_pain"],
            )
            for name in ("Ebba", "Olle")
        )
    with clock.frozen(CHANGED):
        give_patient_login(second, factories.make_user(Role.PATIENT))
    return nora, first, second


def test_patients_are_found_by_when_they_last_changed(client, nurse_and_patients):
    nora, first, second = nurse_and_patients
    client.force_login(nora)
    _assert_window(client, "Patient", {}, first.registry_id, second.registry_id)
    found = _ids(client, "Patient", identifier=second.registry_id, _lastUpdated="lt2026-03-09")
    assert found == {}


def test_a_patients_save_with_named_fields_moves_updated_at_too(nurse_and_patients):
    _nora, first, _second = nurse_and_patients
    with clock.frozen(LATER):
        first.preferred_language = "sv"
        first.save(update_fields=["preferred_language"])
    first.refresh_from_db()
    assert (first.created_at, first.updated_at) == (STORED, LATER)


@pytest.fixture
def care(world):
    """Alice's goals, medicines, action and taper plan, stored at STORED; one of each (and
    the taper plan) changed at CHANGED through the care plan services."""
    doctor = clinician_for(world.team_a)
    alice = world.alice
    with clock.frozen(STORED):
        plan = oxycodone_plan(alice, doctor, start_on=STORED.date())
        buprenorphine = services.record_medication(
            alice, drug="buprenorphine", strength=10, unit="mcg/hr", started_on=STORED.date(),
            by=doctor,
        )  # fmt: skip
        walk = add_goal(alice, by=alice.user, kind="patient", text="Walk the dog")
        target = add_goal(
            alice, by=doctor, kind="clinical", text="Less pain", instrument_id="peg",
            comparator="<=", target_value=4,
        )  # fmt: skip
        action = add_action(alice, by=doctor, who="patient", what="Walk after lunch")
    with clock.frozen(CHANGED):
        update_goal(target, by=doctor, text="Less pain, more days out", status="active")
        services.confirm_medication(buprenorphine, by=alice.user)
        services.request_change(plan, "pause", "I need a break", by=alice.user)
    oxycodone = Medication.objects.get(patient=alice, drug="oxycodone")
    return {
        "doctor": doctor,
        "plan": plan,
        "goals": (walk, target),
        "medications": (oxycodone, buprenorphine),
        "action": action,
    }


def test_goals_are_found_by_when_they_last_changed(client, world, care):
    client.force_login(world.nina)
    walk, target = care["goals"]
    query = {"patient": world.alice.registry_id}
    _assert_window(client, "Goal", query, str(walk.pk), str(target.pk))
    read = client.get(f"{BASE}Goal/{target.pk}").json()
    assert read["meta"] == {"lastUpdated": CHANGED.isoformat()}
    assert read["description"]["text"] == "Less pain, more days out"


def test_medication_statements_are_found_by_when_they_last_changed(client, world, care):
    client.force_login(world.nina)
    oxycodone, buprenorphine = care["medications"]
    query = {"patient": world.alice.registry_id}
    _assert_window(client, "MedicationStatement", query, str(oxycodone.pk), str(buprenorphine.pk))
    both = _ids(client, "MedicationStatement", **query, status="active", _lastUpdated="gt2026-03")
    assert both == {}  # the status filter and _lastUpdated together


def test_care_plans_are_found_by_when_they_last_changed(client, world, care):
    """The taper plan changed when Alice paused it; the shared plan when a goal did."""
    client.force_login(world.nina)
    rid = world.alice.registry_id
    plan = care["plan"]
    found = _ids(client, "CarePlan", patient=rid)
    assert found == {f"shared-{rid}": CHANGED.isoformat(), str(plan.pk): CHANGED.isoformat()}
    with clock.frozen(LATER):
        set_action_done(care["action"], by=world.alice.user)
    assert _ids(client, "CarePlan", patient=rid, _lastUpdated="le2026-03-09") == {
        str(plan.pk): CHANGED.isoformat()
    }
    assert _ids(client, "CarePlan", patient=rid, _lastUpdated="gt2026-03-09") == {
        f"shared-{rid}": LATER.isoformat()
    }
    assert _ids(client, "CarePlan", patient=rid, _lastUpdated="lt2026-03-09") == {}
    shared = client.get(f"{BASE}CarePlan/shared-{rid}").json()
    assert shared["meta"] == {"lastUpdated": LATER.isoformat()}
    on_hold = _ids(client, "CarePlan", patient=rid, status="on-hold", _lastUpdated="eq2026-03-09")
    assert on_hold == {str(plan.pk): CHANGED.isoformat()}


def test_a_taper_decision_moves_the_care_plans_last_updated(client, world, care):
    plan = care["plan"]
    with clock.frozen(LATER):
        services.answer_request(plan.requests.get(), by=care["doctor"], answer="Of course.")
        suggestion = services.suggest_for_next_step(plan)
        services.record_decision(
            plan, suggestion=suggestion, decision="hold", by=care["doctor"], why="Agreed."
        )
    plan.refresh_from_db()
    assert plan.updated_at == LATER
    client.force_login(world.nina)
    found = _ids(client, "CarePlan", patient=world.alice.registry_id, _lastUpdated="ge2026-03-16")
    assert found == {str(plan.pk): LATER.isoformat()}


def test_a_shared_plan_of_taper_plans_only_dates_from_the_first(client, world):
    doctor = clinician_for(world.team_a)
    with clock.frozen(STORED):
        plan = oxycodone_plan(world.alice, doctor, start_on=STORED.date())
    client.force_login(world.nina)
    rid = world.alice.registry_id
    assert _ids(client, "CarePlan", patient=rid) == {
        f"shared-{rid}": STORED.isoformat(),
        str(plan.pk): STORED.isoformat(),
    }


def test_a_row_stored_as_of_an_earlier_day_was_last_changed_then(world):
    """A new row starts at its created_at (a backdated import or demo), a later save at now."""
    goal = Goal.objects.create(patient=world.alice, text="Sleep through", created_at=STORED)
    assert goal.updated_at == STORED
    with clock.frozen(LATER):
        goal.save()
    assert Goal.objects.get(pk=goal.pk).updated_at == LATER


@pytest.mark.parametrize("model", [Patient, Goal, Medication, TaperPlan])
def test_updated_at_reads_the_application_clock_not_the_wall_clock(world, model):
    with clock.frozen(LATER):
        assert model._meta.get_field("updated_at").get_default() == LATER


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="on SQLite, Django's table remake in unapplying people 0011 creates the MRN's "
    "partial unique index while the old one exists (since accounts 0004 links claim "
    "mappings to users); unapplying is not something a deployment does, and the backfill "
    "runs forwards on PostgreSQL here",
)
@pytest.mark.django_db(transaction=True)
def test_the_migrations_backfill_updated_at_from_what_each_row_records(world):
    """Rows from before the column: the latest time each records, else created_at."""
    doctor = clinician_for(world.team_a)
    alice = world.alice
    with clock.frozen(STORED):
        plan = oxycodone_plan(alice, doctor, start_on=STORED.date())
        untouched = add_goal(alice, by=alice.user, kind="patient", text="Walk the dog")
        action = add_action(alice, by=doctor, who="patient", what="Walk after lunch")
    oxycodone = Medication.objects.get(patient=alice)
    with clock.frozen(CHANGED):
        set_action_done(action, by=alice.user)
        services.confirm_medication(oxycodone, by=alice.user)
    with clock.frozen(LATER):
        services.request_change(plan, "pause", "A break, please", by=alice.user)
    Patient.objects.filter(pk=alice.pk).update(created_at=STORED)

    executor = MigrationExecutor(connection)
    executor.migrate(
        [
            ("people", "0009_site_country_user_language_and_more"),
            ("careplans", "0003_taper_request_increase"),
        ]
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    def updated(model, pk):
        return model.objects.values_list("updated_at", flat=True).get(pk=pk)

    assert updated(Patient, alice.pk) == STORED
    assert updated(Goal, untouched.pk) == STORED
    assert updated(ActionItem, action.pk) == CHANGED  # done then
    assert updated(Medication, oxycodone.pk) == CHANGED  # confirmed by Alice then
    assert updated(TaperPlan, plan.pk) == LATER  # paused at her request then


def test_appointments_are_found_by_when_they_last_changed(client, nurse_and_patients):
    from coproduce.visits.models import Appointment
    from coproduce.visits.records import mark_attended

    nora, first, _ = nurse_and_patients
    with clock.frozen(STORED):
        stored, changed = (
            Appointment.objects.create(
                patient=first,
                care_team=first.care_team,
                starts_at=STORED + dt.timedelta(days=days),
                external_id=f"sched-{days}",
            )
            for days in (1, 2)
        )
    with clock.frozen(CHANGED):  # attended: a queryset update, stamped all the same
        assert mark_attended(actor=nora, appointment=changed)
    client.force_login(nora)
    query = {"patient": first.registry_id}
    _assert_window(client, "Appointment", query, "sched-1", "sched-2")
    read = client.get(BASE + "Appointment/sched-2").json()
    assert read["meta"]["lastUpdated"] == CHANGED.isoformat()
    assert stored.updated_at == STORED


def test_what_the_last_updated_searches_find_is_valid_for_the_official_r4_json_schema(
    client, world, care, nurse_and_patients
):
    from coproduce.visits.models import Appointment

    require_schema()
    nora, first, _second = nurse_and_patients
    Appointment.objects.create(
        patient=first, care_team=first.care_team, starts_at=LATER, external_id="sched-schema"
    )
    since = {"_lastUpdated": "ge2026-03-01"}
    client.force_login(nora)
    found = _found(client, "Patient", **since)
    found += _found(client, "Appointment", patient=first.registry_id, **since)
    client.force_login(world.nina)
    for resource in ("Goal", "MedicationStatement", "CarePlan"):
        found += _found(client, resource, patient=world.alice.registry_id, **since)
    assert {r["resourceType"] for r in found} == {
        "Patient",
        "Appointment",
        "Goal",
        "MedicationStatement",
        "CarePlan",
    }
    assert {f"{r['resourceType']}/{r['id']}": r4_schema_errors(r) for r in found} == {
        f"{r['resourceType']}/{r['id']}": [] for r in found
    }
