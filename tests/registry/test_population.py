import csv
import datetime as dt
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coproduce.audit.models import AuditEvent
from coproduce.checkins.models import Enrollment, Program
from coproduce.platform import clock
from coproduce.registry.population import population_for
from tests import factories
from tests.registry.helpers import medication, score

NOW = clock.now()


def enrol(patient):
    program, _ = Program.objects.get_or_create(slug="pain", defaults={"name": "Pain"})
    Enrollment.objects.create(patient=patient, program=program)


def ago(days):
    return NOW - dt.timedelta(days=days)


def flagged(user, flag=""):
    return {r["registry_id"]: r for r in population_for(user, flag=flag)}


def test_it_lists_who_is_overdue(world):
    enrol(world.alice)
    enrol(world.tom)
    score(world.alice, "phq9", ago(22), 5)  # last check-in 22 days ago: overdue
    score(world.tom, "phq9", ago(3), 5)
    assert set(flagged(world.nina, "overdue")) == {world.alice.registry_id}


def test_it_lists_who_is_worsening(world):
    score(world.alice, "phq9", ago(14), 6)
    score(world.alice, "phq9", ago(7), 11)  # +5
    score(world.tom, "phq9", ago(14), 6)
    score(world.tom, "phq9", ago(7), 10)  # +4
    score(world.tom, "peg", ago(14), 5.0)
    score(world.tom, "peg", ago(7), 6.4)  # +28 %
    other = factories.make_patient(world.team_a)
    score(other, "peg", ago(14), 5.0)
    score(other, "peg", ago(7), 6.5)  # +30 %
    assert set(flagged(world.nina, "worsening")) == {world.alice.registry_id, other.registry_id}


def test_it_lists_who_is_not_in_remission(world):
    score(world.alice, "das28-crp", ago(30), 5.5, band="high")
    score(world.alice, "das28-crp", ago(5), 3.0, band="low")  # latest is low: fine
    score(world.tom, "das28-esr", ago(5), 4.0, band="moderate")
    ibd = factories.make_patient(world.team_a)
    score(ibd, "hbi", ago(5), 7, band="mild")
    calm = factories.make_patient(world.team_a)
    score(calm, "pucai", ago(5), 5, band="remission")
    assert set(flagged(world.nina, "not_remission")) == {world.tom.registry_id, ibd.registry_id}


def test_it_lists_who_is_on_more_than_90_mme(world):
    start = clock.today() - dt.timedelta(days=30)
    medication(world.alice, "oxycodone", 20, 3, start)  # 90: not more than 90
    medication(world.tom, "morphine", 50, 2, start)  # 100
    assert set(flagged(world.nina, "high_mme")) == {world.tom.registry_id}
    assert flagged(world.nina)[world.tom.registry_id]["mme"] == 100.0


def test_it_lists_only_the_users_own_teams(world):
    medication(world.alice, "morphine", 50, 2, clock.today() - dt.timedelta(days=3))
    assert flagged(world.carl) == {}
    assert set(flagged(world.nina)) == {world.alice.registry_id}


def test_it_shows_the_list_with_links_to_dashboards_and_audits_it(client, world):
    medication(world.alice, "morphine", 50, 2, clock.today() - dt.timedelta(days=3))
    client.force_login(world.nina)
    body = client.get("/registry/population/").content.decode()
    assert f"/patients/{world.alice.registry_id}/dashboard/" in body
    event = AuditEvent.objects.get(event="patient.listed", actor=world.nina)
    assert event.detail["registry_ids"] == [world.alice.registry_id]
    assert event.detail["format"] == "html"


def test_it_filters_by_flag_and_team(client, world):
    medication(world.alice, "morphine", 50, 2, clock.today() - dt.timedelta(days=3))
    client.force_login(world.nina)
    body = client.get("/registry/population/?flag=overdue").content.decode()
    assert world.alice.registry_id not in body
    body = client.get(f"/registry/population/?flag=high_mme&team={world.team_a.pk}").content
    assert world.alice.registry_id in body.decode()


def test_it_exports_csv_and_audits_every_export(client, world):
    medication(world.alice, "morphine", 50, 2, clock.today() - dt.timedelta(days=3))
    world.alice.family_name = "=HYPERLINK(1)"
    world.alice.save()
    client.force_login(world.nina)
    for _ in range(2):
        response = client.get("/registry/population/?flag=high_mme&format=csv")
        assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["registry_id"] for r in rows] == [world.alice.registry_id]
    assert rows[0]["family_name"] == "'=HYPERLINK(1)"  # never a live formula
    assert rows[0]["high_mme"] == "yes"
    exports = AuditEvent.objects.filter(event="patient.listed", detail__format="csv")
    assert exports.count() == 2


def test_it_keeps_population_lists_from_qi_leads_researchers_and_patients(client, world):
    for user in (world.quinn, world.ruth, world.adam, world.paula, world.alice.user):
        client.force_login(user)
        assert client.get("/registry/population/").status_code == 404
        assert client.get("/registry/population/?format=csv").status_code == 404


def many(world, n):
    for _ in range(n):
        patient = factories.make_patient(world.team_a)
        enrol(patient)
        score(patient, "phq9", ago(30), 3)
        score(patient, "phq9", ago(25), 12)
        score(patient, "das28-crp", ago(25), 5.5, band="high")
        medication(patient, "morphine", 100, 1, clock.today() - dt.timedelta(days=9))


def test_it_answers_in_a_constant_number_of_queries(client, world):
    client.force_login(world.nina)
    counts = []
    for n in (2, 12):
        many(world, n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/registry/population/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with CaptureQueriesContext(connection) as queries:
        rows = population_for(world.nina)
    listing = [q for q in queries if "people_patient" in q["sql"]]
    assert len(listing) == 1 and len(rows) == 14
