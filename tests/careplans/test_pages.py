import datetime as dt

import pytest

from coproduce.careplans.models import PlanStatus, TaperPlan, TaperRequest
from coproduce.platform import clock
from coproduce.safetynet.models import Alert
from tests import factories
from tests.careplans.helpers import clinician_for, oxycodone_plan, score


@pytest.fixture
def doc(world):
    return clinician_for(world.team_a)


def _url(patient, rest=""):
    return f"/patients/{patient.registry_id}/plan/{rest}"


def test_it_shows_the_care_plan_with_mme_lines_and_the_caveats(client, world, doc):
    from coproduce.careplans import services

    start = clock.today() - dt.timedelta(days=30)
    services.record_medication(
        world.alice, drug="oxycodone", strength=10, per_day=3, started_on=start, by=doc
    )
    services.record_medication(
        world.alice, drug="buprenorphine", strength=10, unit="mcg/hr", started_on=start, by=doc
    )
    services.record_medication(
        world.alice, drug="methadone", strength=5, per_day=2, started_on=start, by=doc
    )
    client.force_login(world.nina)
    body = client.get(_url(world.alice)).content.decode()
    assert "not a conversion between opioids" in body
    assert "not counted" in body and "partial agonist" in body
    assert "Methadone: special care" in body
    assert "<strong>92</strong>" in body  # 45 + 47; buprenorphine is not added


def test_a_clinician_previews_then_saves_a_plan_and_bad_input_stores_nothing(client, world, doc):
    client.force_login(doc)
    form = {
        "drug": "oxycodone",
        "unit": "mg",
        "daily_amount": "60",
        "dose_unit": "5",
        "doses_per_day": "3",
        "pace": "10-w4",
        "start_on": "2025-01-06",
        "target_mme": "0",
    }
    preview = client.post(_url(world.alice, "taper/new/"), {**form, "preview": "1"})
    assert preview.status_code == 200 and "Schedule preview" in preview.content.decode()
    assert not TaperPlan.objects.exists()
    bad = client.post(_url(world.alice, "taper/new/"), {**form, "pace": "100-w1", "create": "1"})
    assert "Select a valid choice" in bad.content.decode()
    assert not TaperPlan.objects.exists()
    saved = client.post(_url(world.alice, "taper/new/"), {**form, "create": "1"})
    assert saved.status_code == 302
    assert TaperPlan.objects.get(patient=world.alice).steps.count() > 5


def test_only_clinicians_of_the_team_open_the_plan_builder(client, world, doc):
    client.force_login(world.nina)
    assert client.get(_url(world.alice, "taper/new/")).status_code == 404
    client.force_login(world.carl)
    assert client.get(_url(world.alice, "taper/new/")).status_code == 404
    client.force_login(doc)
    assert client.get(_url(world.alice, "taper/new/")).status_code == 200


def test_the_patient_sees_a_printable_calendar_and_asks_to_pause(client, world, doc):
    plan = oxycodone_plan(world.alice, doc)
    client.force_login(world.alice.user)
    calendar = client.get(_url(world.alice, "calendar/")).content.decode()
    assert (
        "Starting dose" in calendar and "time zone" in calendar and "@media print" not in calendar
    )
    empty = client.post(_url(world.alice, "taper/ask/"), {"kind": ""})
    assert "This field is required" in empty.content.decode()
    assert not TaperRequest.objects.exists()
    response = client.post(_url(world.alice, "taper/ask/"), {"kind": "pause", "text": "Busy"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    assert "Your taper is paused" in client.get(_url(world.alice)).content.decode()


def test_the_nurse_answers_a_request(client, world, doc):
    from coproduce.careplans import services

    plan = oxycodone_plan(world.alice, doc)
    asked = services.request_change(plan, "pause", "Busy month", world.alice.user)
    client.force_login(world.nina)
    page = client.get(_url(world.alice)).content.decode()
    assert "Answer this request" in page and "Busy month" in page
    response = client.post(_url(world.alice, f"taper/requests/{asked.pk}/answer/"), {"answer": ""})
    assert "This field is required" in response.content.decode()
    client.post(_url(world.alice, f"taper/requests/{asked.pk}/answer/"), {"answer": "Paused."})
    asked.refresh_from_db()
    assert asked.answer == "Paused." and Alert.objects.get().status == "resolved"


def test_the_team_sees_the_suggestion_with_reasons_and_records_a_decision(client, world, doc):
    plan = oxycodone_plan(world.alice, doc, start_on=clock.today() - dt.timedelta(days=20))
    score(world.alice, "pain-nrs", 4, on=clock.today() - dt.timedelta(days=22))
    score(world.alice, "pain-nrs", 7, on=clock.today() - dt.timedelta(days=2))
    client.force_login(world.nina)
    page = client.get(_url(world.alice, "taper/next/")).content.decode()
    assert "Suggestion: Slow the pace" in page and "3 points higher" in page
    missing_why = client.post(_url(world.alice, "taper/next/"), {"decision": "go_ahead"})
    assert "Say why" in missing_why.content.decode()
    assert not plan.decisions.exists()
    client.post(_url(world.alice, "taper/next/"), {"decision": "slow", "why": ""})
    assert plan.decisions.get().decision == "slow"


def test_it_answers_404_to_other_teams_researchers_and_other_patients(client, world, doc):
    oxycodone_plan(world.alice, doc)
    pages = ["", "calendar/", "taper/ask/", "taper/next/", "taper/new/"]
    for user in (world.carl, world.ruth, factories.make_patient(world.team_a, login=True).user):
        client.force_login(user)
        for rest in pages:
            assert client.get(_url(world.alice, rest)).status_code == 404, (user.role, rest)
    client.force_login(world.nina)
    assert client.get(_url(world.alice, "taper/ask/")).status_code == 404


def test_a_parent_sees_their_childs_plan_and_can_ask(client, world, doc):
    oxycodone_plan(world.tom, doc)
    client.force_login(world.paula)
    assert client.get(_url(world.tom)).status_code == 200
    assert client.get(_url(world.tom, "calendar/")).status_code == 200
    client.post(_url(world.tom, "taper/ask/"), {"kind": "slow", "text": "He is tired"})
    assert TaperRequest.objects.get().requested_by == world.paula
    assert client.get(_url(world.alice)).status_code == 404


def test_forms_refuse_get_requests_that_change_state(client, world, doc):
    oxycodone_plan(world.alice, doc)
    client.force_login(world.alice.user)
    client.get(_url(world.alice, "taper/ask/"), {"kind": "stop"})
    assert not TaperRequest.objects.exists()


def test_the_demo_has_tapers_at_different_stages_and_runs_twice(demo_rows):
    from coproduce.careplans import demo as careplans_demo

    ctx = demo_rows
    careplans_demo.seed(ctx)
    careplans_demo.seed(ctx)
    statuses = set(TaperPlan.objects.values_list("status", flat=True))
    assert {PlanStatus.ACTIVE, PlanStatus.PAUSED} <= statuses
    assert TaperPlan.objects.filter(steps__status="stepped_back").exists()
    # careplans.demo's three recent plans at Maria's team and Lucía's (`paciente`, US site);
    # registry.demo adds older ones for the measures.
    recent = TaperPlan.objects.filter(start_on__gt=ctx.today - dt.timedelta(weeks=21))
    assert recent.count() == 4
    assert recent.filter(patient__registry_id="CP-DEMOPACI", status=PlanStatus.ACTIVE).exists()
    maria = ctx.objects["named"]["patient"]
    assert maria.medications.filter(drug="oxycodone").exists()
    assert not maria.taper_plans.exists()


def test_the_patient_asks_to_go_back_up_from_the_taper_calendar(client, world, doc):
    plan = oxycodone_plan(world.alice, doc)
    client.force_login(world.alice.user)
    calendar = client.get(_url(world.alice, "calendar/")).content.decode()
    assert _url(world.alice, "taper/ask/") in calendar  # reached from the taper page
    asked = client.post(_url(world.alice, "taper/ask/"), {"kind": "increase", "text": "Too sore"})
    assert asked.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PAUSED
    request = TaperRequest.objects.get(plan=plan)
    assert request.kind == "increase"


def test_the_taper_builder_starts_from_the_current_opioid(client, world, doc):
    from coproduce.careplans import services

    start = clock.today() - dt.timedelta(days=30)
    services.record_medication(
        world.alice, drug="morphine", strength=15, per_day=2, started_on=start, by=doc
    )
    client.force_login(doc)
    page = client.get(_url(world.alice, "taper/new/"))
    form = page.context["form"]
    assert (form["drug"].value(), form["unit"].value()) == ("morphine", "mg")
    assert (form["daily_amount"].value(), form["dose_unit"].value()) == ("30", "15")
    assert form["doses_per_day"].value() == 2
    html = page.content.decode()
    assert 'value="morphine"' in html and 'value="30"' in html


def test_the_taper_builder_refuses_a_plan_with_no_steps_and_saves_nothing(client, world, doc):
    client.force_login(doc)
    form = {
        "drug": "oxycodone",
        "unit": "mg",
        "daily_amount": "5",  # one 5 mg tablet a day: no smaller step exists
        "dose_unit": "5",
        "doses_per_day": "1",
        "pace": "10-w4",
        "start_on": "2025-01-06",
        "target_mme": "0",
    }
    for action in ("preview", "create"):
        page = client.post(_url(world.alice, "taper/new/"), {**form, action: "1"})
        html = page.content.decode()
        assert page.status_code == 200, action
        assert "This plan has no steps, so saving it would change nothing" in html, action
        assert "Enter a smaller dose unit" in html and "Schedule preview" not in html, action
        assert not TaperPlan.objects.exists(), action
