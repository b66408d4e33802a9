"""The job schedule: every app's periodic jobs, listed once, in the order the apps come."""

from django.apps import apps

from coproduce.platform import tasks


def test_it_lists_every_apps_periodic_jobs_once():
    assert [job.name for job in tasks.minute_jobs()] == [
        "dispatch_due",
        "recheck_safetynet",
        "escalate_overdue",
    ]
    assert [job.name for job in tasks.hour_jobs()] == [
        "plan_invitations",
        "find_silent_patients",
        "refresh_registry_rollups",
        "accrue_incentives",
    ]


def test_it_does_not_list_a_job_twice_when_an_app_is_ready_again():
    before = (list(tasks.EVERY_MINUTE), list(tasks.EVERY_HOUR))
    apps.get_app_config("checkins").ready()
    apps.get_app_config("safetynet").ready()
    assert before == (tasks.EVERY_MINUTE, tasks.EVERY_HOUR)
