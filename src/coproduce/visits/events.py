"""Audit event kinds of the visits app (registered when the app is ready)."""

from coproduce.audit.events import register

EVENTS = {
    "visit.requested": "A patient or parent asked to be seen (patient-initiated visit).",
    "visit_request.updated": "The care team booked or closed a patient's request to be seen.",
    "visit.reminder_queued": "A pre-visit check-in reminder was put in the outbox.",
}


def register_all() -> None:
    for kind, description in EVENTS.items():
        register(kind, description)
