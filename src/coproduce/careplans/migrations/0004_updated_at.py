# When each goal, action, medication line and taper plan last changed (FHIR
# meta.lastUpdated, _lastUpdated search). Added nullable, backfilled from the latest time
# the row itself records (an action done, a line confirmed by the patient, a taper plan's
# latest decision or request, each of which saved the plan), else created_at. Required from
# 0005 on.

from django.db import migrations, models
from django.db.models import F, Max, Q

MODELS = ("actionitem", "goal", "medication", "taperplan")


def backfill(apps, schema_editor):
    def model(name):
        return apps.get_model("careplans", name)

    for name in MODELS:
        model(name).objects.update(updated_at=F("created_at"))
    for name, column in (("actionitem", "done_at"), ("medication", "confirmed_by_patient_at")):
        later = model(name).objects.filter(**{f"{column}__gt": F("created_at")})
        later.update(updated_at=F(column))
    plans = model("taperplan").objects.annotate(
        decided=Max("decisions__at"),
        asked=Max("requests__at"),
        answered=Max("requests__answered_at"),
    )
    for plan in plans.filter(Q(decided__isnull=False) | Q(asked__isnull=False)):
        times = [t for t in (plan.decided, plan.asked, plan.answered) if t is not None]
        if max(times) > plan.created_at:
            model("taperplan").objects.filter(pk=plan.pk).update(updated_at=max(times))


class Migration(migrations.Migration):

    dependencies = [
        ("careplans", "0003_taper_request_increase"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=name, name="updated_at", field=models.DateTimeField(null=True)
            )
            for name in MODELS
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
