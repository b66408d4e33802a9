"""Demo programs and enrollments (schedules and history are added by the check-ins work)."""

from __future__ import annotations

from coproduce.checkins.models import Enrollment, Program
from coproduce.demo import DemoContext
from coproduce.people.models import Condition

PROGRAMS = [
    (
        "opioid-taper",
        "Opioid taper",
        Condition.CHRONIC_PAIN,
        "Weekly check-ins while tapering opioids at your own pace.",
    ),
    ("ra-registry", "RA registry", Condition.RA, "Pre-visit check-ins for rheumatoid arthritis."),
    ("ibd", "IBD", Condition.IBD, "Check-ins for inflammatory bowel disease."),
    ("cf", "CF", Condition.CF, "Check-ins for cystic fibrosis."),
]


def seed(ctx: DemoContext) -> None:
    by_condition: dict[str, Program] = {}
    for slug, name, condition, description in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            slug=slug, defaults={"name": name, "condition": condition, "description": description}
        )
        by_condition[condition] = program
    for patient in ctx.objects["patients"]:
        condition = patient.conditions.values_list("condition", flat=True).first()
        chosen = by_condition.get(condition or "")
        if chosen is not None:
            _, created = Enrollment.objects.get_or_create(
                patient=patient,
                program=chosen,
                defaults={"started_on": ctx.today.replace(year=ctx.today.year - 1)},
            )
            ctx.count("enrollments", created)
