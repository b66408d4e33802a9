"""Taper texts kept as message keys with parameters, shown in the reader's language.

Existing rows get their keys from the English they stored: a step's note, and the numbers
in a decision's reasons (the codes were stored already). What cannot be read back keeps
showing its stored English.
"""

import re

from django.db import migrations, models

FIXED_NOTES = (
    "starting dose",
    "smaller steps at lower doses",
    "back up to the previous dose",
)
ONE_UNIT = re.compile(r"^one (?P<amount>\S+) (?P<unit>\S+) unit, spaced out to keep the pace$")
ONE_UNIT_KEY = "one {amount} {unit} unit, spaced out to keep the pace"
PAIN_RISE = re.compile(r"^Your pain is (?P<pain_rise>\S+) points higher than before")
PREVIOUS = re.compile(r"^We suggest going back to your previous dose of (?P<previous>\S+) MME/day")


def keys_from_english(apps, schema_editor):
    TaperStep = apps.get_model("careplans", "TaperStep")
    for step in TaperStep.objects.exclude(note="").iterator():
        if step.note in FIXED_NOTES:
            step.note_texts = {"key": step.note, "params": {}}
        elif match := ONE_UNIT.match(step.note):
            step.note_texts = {"key": ONE_UNIT_KEY, "params": match.groupdict()}
        else:
            continue
        step.save(update_fields=["note_texts"])
    TaperDecision = apps.get_model("careplans", "TaperDecision")
    for decision in TaperDecision.objects.iterator():
        params = {}
        for reason in decision.suggestion_reasons or []:
            for pattern in (PAIN_RISE, PREVIOUS):
                if match := pattern.match(reason):
                    params.update(match.groupdict())
        if params:
            decision.suggestion_params = params
            decision.save(update_fields=["suggestion_params"])


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0005_updated_at_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="taperdecision",
            name="suggestion_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="taperstep",
            name="note_texts",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(keys_from_english, migrations.RunPython.noop),
    ]
