import datetime as dt

from coproduce.checkins.models import Invitation, InvitationStatus
from coproduce.platform import clock
from tests import factories


def fill(patient, months=6, per_month=6):
    today = clock.today()
    for m in range(months):
        month_start = (today.replace(day=1) - dt.timedelta(days=31 * m)).replace(day=1)
        for i in range(per_month):
            due = dt.datetime.combine(month_start + dt.timedelta(days=i), dt.time(9), tzinfo=dt.UTC)
            Invitation.objects.create(
                patient=patient,
                due_at=due,
                expires_at=due + dt.timedelta(days=7),
                status=InvitationStatus.COMPLETED if i % 3 else InvitationStatus.EXPIRED,
            )


def test_it_shows_qi_leads_spc_charts_per_site_and_network(client, world):
    fill(world.alice)
    client.force_login(world.quinn)
    response = client.get("/registry/measures/checkin-completion/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Whole network" in body and "North Clinic" in body
    assert "<svg" in body
    assert "Alice" not in body and world.alice.registry_id not in body


def test_it_suppresses_months_with_fewer_than_five(client, world):
    fill(world.alice, months=3, per_month=4)
    client.force_login(world.quinn)
    body = client.get("/registry/measures/checkin-completion/").content.decode()
    assert "Not enough months with 5 or more" in body
    assert "<svg" not in body


def test_it_compares_sites_on_a_funnel_plot(client, world):
    fill(world.alice)
    other = factories.make_patient(world.team_b)
    fill(other, months=2, per_month=2)  # 4 in total: suppressed
    client.force_login(world.quinn)
    body = client.get("/registry/measures/checkin-completion/funnel/").content.decode()
    assert "North Clinic" in body and "within" in body
    assert "not shown (fewer than 5)" in body


def test_it_keeps_registry_pages_from_patients_and_researchers(client, world):
    for user in (world.alice.user, world.paula, world.ruth):
        client.force_login(user)
        assert client.get("/registry/measures/").status_code == 404
        assert client.get("/registry/measures/worsening/").status_code == 404


def test_it_answers_404_for_an_unknown_measure(client, world):
    client.force_login(world.quinn)
    assert client.get("/registry/measures/nope/").status_code == 404


def _charts_without_a_table(body: str) -> tuple[int, list[int]]:
    """(charts on the page, the numbers of those with no table before the next chart)."""
    import re

    tags = re.findall(r"<(svg|table)\b", body)
    charts = [n for n, tag in enumerate(tags) if tag == "svg"]
    lacking = [
        k
        for k, at in enumerate(charts)
        if "table" not in tags[at + 1 : charts[k + 1] if k + 1 < len(charts) else len(tags)]
    ]
    return len(charts), lacking


def test_every_registry_chart_has_its_table_beside_it(client, world):
    fill(world.alice)
    factories.make_patient(world.team_b)
    client.force_login(world.quinn)
    for url, least in (
        ("/registry/measures/checkin-completion/", 2),  # the network and North Clinic
        ("/registry/measures/checkin-completion/funnel/", 1),
    ):
        charts, lacking = _charts_without_a_table(client.get(url).content.decode())
        assert charts >= least, url
        assert lacking == [], url
    assert _charts_without_a_table("<svg></svg><svg></svg><table>") == (2, [0])
