import datetime as dt

from django.core.management import call_command

from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert, AlertStatus


def test_it_escalates_overdue_alerts_from_the_scheduler(world):
    past = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    alert = Alert.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        rule_id="phq9-item9",
        priority=Priority.URGENT,
        reason="Thoughts of self-harm",
        status=AlertStatus.OPEN,
        created_at=past,
        ack_due_at=past + dt.timedelta(hours=1),
    )
    call_command("scheduler", "--once", "--inline", verbosity=0)
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    call_command("scheduler", "--once", "--inline", verbosity=0)
    alert.refresh_from_db()
    assert alert.escalation_level == 1  # the next step waits an hour after the first


def test_it_tells_staff_the_acknowledgement_time_on_the_clinics_clock(world):
    from coproduce.platform.models import Notification
    from coproduce.safetynet.engine import notify
    from coproduce.safetynet.recipients import user_address

    site = world.team_a.site
    site.time_zone = "America/New_York"
    site.save()
    world.nina.email = "nina@example.org"
    world.nina.save()
    due = dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.UTC)
    alert = Alert.objects.create(
        patient=world.alice,
        care_team=world.team_a,
        rule_id="r",
        priority=Priority.URGENT,
        reason="Pain up",
        created_at=due,
        ack_due_at=due,
    )
    notify(alert, [user_address(world.nina)], purpose="alert", key="k", now=due)
    body = Notification.objects.get(dedupe_key=f"k:u{world.nina.pk}").body
    assert "by 2026-07-01 10:00 EDT" in body


def test_it_gives_the_alert_page_each_instruments_recent_trend_in_one_query(
    world, django_assert_num_queries
):
    from coproduce.safetynet.services import recent_trends
    from tests.safetynet.factories import checkin

    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    for week in range(15):
        scores = {"phq9": week, "peg": 5} if week >= 12 else {"phq9": week}
        checkin(world.alice, start + dt.timedelta(weeks=week), scores=scores)
    with django_assert_num_queries(1):
        trends = recent_trends(world.alice, ["phq9", "peg"])
    assert [s.score for s in trends["phq9"]] == list(range(3, 15))
    assert [s.score for s in trends["peg"]] == [5, 5, 5]
