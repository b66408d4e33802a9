"""A synthetic worst-case patient for the one-page print summary (issue 11.1).

More of everything than one page can hold: 12 medicines, 8 goals, 20 open alerts, a
2,000-character concern, six measures with three years of history, long agreed actions and
several shared visit records. Built through the same services the pages use, where one exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coproduce.careplans import goals, services
from coproduce.people.models import Patient, Role, User
from coproduce.platform import clock
from coproduce.platform.models import Priority
from coproduce.safetynet.models import Alert
from coproduce.visits.models import Appointment, AppointmentStatus, RecordStatus, VisitRecord
from tests import factories
from tests.visits.helpers import previsit, weekly_scores

OPIOIDS = [("oxycodone", 10, 3), ("morphine", 15, 2), ("hydromorphone", 2, 2), ("tramadol", 50, 2)]
OTHERS = [
    "paracetamol", "ibuprofen", "gabapentin", "duloxetine", "omeprazole", "sertraline",
    "amitriptyline", "pregabalin",
]
LONG_WORDS = (
    "Walking my dog every morning without the pain stopping me, and sleeping through the "
    "night again so that I can think clearly at work and be patient with my children. "
)


@dataclass
class WorstCase:
    patient: Patient
    clinician: User
    concern: str


def build() -> WorstCase:
    """Create the worst-case patient and a clinician of her team; return both."""
    team = factories.make_team(factories.make_site("Worst Case Clinic"), "Pain team")
    patient = factories.make_patient(
        team, given_name="Wilhelmina", family_name="Featherstonehaugh-Worstcase", login=True
    )
    clinician = factories.make_user(Role.CLINICIAN, teams=[team])
    today = clock.clinic_today(team.site)
    started = today - dt.timedelta(days=90)
    for drug, strength, per_day in OPIOIDS:
        services.record_medication(
            patient, drug=drug, strength=strength, per_day=per_day, started_on=started,
            by=clinician,
        )
    for drug in OTHERS:
        services.record_medication(
            patient, drug=drug, strength=500, per_day=2, started_on=started, by=clinician,
            is_opioid=False,
        )
    for n in range(4):
        goals.add_goal(patient, by=patient.user, kind="patient", text=f"{n + 1}. {LONG_WORDS}")
        goals.add_goal(
            patient, by=clinician, kind="clinical", text=f"Target {n + 1}: {LONG_WORDS[:120]}"
        )
    weeks = 156
    weekly_scores(
        patient,
        {
            "phq9": [(w * 7) % 27 for w in range(weeks)],
            "gad7": [(w * 5) % 21 for w in range(weeks)],
            "peg": [round((w * 3) % 10 + 0.3, 1) for w in range(weeks)],
        },
    )
    weekly_scores(
        patient,
        {
            "pain-nrs": [w % 11 for w in range(weeks)],
            "withdrawal-nrs": [w % 7 for w in range(weeks)],
        },
        end=clock.now() - dt.timedelta(hours=2),
    )
    for n in range(20):
        Alert.objects.create(
            patient=patient,
            care_team=team,
            rule_id=f"worst-case-{n}",
            priority=(Priority.URGENT, Priority.SOON, Priority.ROUTINE)[n % 3],
            reason=f"Worst-case alert {n}: " + LONG_WORDS[:200],
        )
    for days in (400, 300, 200, 100, 12):
        appointment = Appointment.objects.create(
            patient=patient,
            care_team=team,
            clinician=clinician,
            starts_at=clock.now() - dt.timedelta(days=days),
            status=AppointmentStatus.ATTENDED,
        )
        VisitRecord.objects.create(
            appointment=appointment,
            patient=patient,
            decision=LONG_WORDS * 4,
            patient_actions=LONG_WORDS * 8,
            team_actions=LONG_WORDS * 8,
            follow_up=LONG_WORDS * 2,
            status=RecordStatus.SHARED,
            shared_at=clock.now(),
        )
    Appointment.objects.create(
        patient=patient,
        care_team=team,
        clinician=clinician,
        starts_at=clock.now() + dt.timedelta(days=2),
        status=AppointmentStatus.BOOKED,
    )
    concern = (LONG_WORDS * 20)[:1960] + " THE VERY END OF MY CONCERN."
    assert len(concern) >= 1980
    previsit(
        patient,
        {
            "previsit-concern": concern,
            "previsit-topics": ["pain", "medicines", "sleep", "mood", "work", "family"],
            "previsit-partner": "together",
            "previsit-partner-note": LONG_WORDS * 3,
        },
    )
    return WorstCase(patient=patient, clinician=clinician, concern=concern)
