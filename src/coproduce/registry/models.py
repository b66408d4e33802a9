"""PDSA annotations on measure charts, and monthly roll-ups of the measures."""

from __future__ import annotations

from django.db import models

from coproduce.platform import clock


class PdsaAnnotation(models.Model):
    """A change tested in a PDSA cycle: dated, shown on the measure's SPC charts.

    No site means the change was tested network-wide; it then shows on every site's chart.
    `new_phase` recalculates the control limits from the month of the change.
    """

    measure_id = models.CharField(max_length=40)
    site = models.ForeignKey(
        "people.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField(help_text="when the change started")
    title = models.CharField(max_length=200, help_text="what change was tested")
    note = models.TextField(blank=True)
    new_phase = models.BooleanField(
        default=False, help_text="recalculate the control limits from this month"
    )
    author = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["measure_id", "on"])]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.on}: {self.title}"


class MeasureMonth(models.Model):
    """One measure's figures for one site and month, refreshed by the worker.

    `site_id` 0 is the whole network; only median measures store it, since a proportion's
    network figure is the sum of its sites. Not a foreign key: roll-ups are disposable and
    rebuilt from the source tables.
    """

    measure_id = models.CharField(max_length=40)
    site_id = models.PositiveIntegerField(help_text="0: the whole network")
    month = models.DateField()
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    value = models.FloatField(null=True, blank=True, help_text="median measures only")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["measure_id", "month", "site_id"], name="one_rollup_per_site_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} site {self.site_id} {self.month:%Y-%m}"


class RollupCoverage(models.Model):
    """Which months a measure's roll-ups cover; pages read roll-ups only inside them."""

    measure_id = models.CharField(max_length=40, unique=True)
    first_month = models.DateField()
    last_month = models.DateField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.first_month} to {self.last_month}"
