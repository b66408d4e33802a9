"""Audit event kinds of the visits app (registered when the app is ready)."""

EVENTS = {
    "visit.requested": "A patient or parent asked to be seen (patient-initiated visit).",
    "visit_request.updated": "The care team booked or closed a patient's request to be seen.",
    "visit.reminder_queued": "A pre-visit check-in reminder was put in the outbox.",
    "visit.attended": "The care team marked an appointment as attended.",
    "visit.collaborate_invited": "A post-visit collaboRATE check-in was planned for the patient.",
    "visit_record.started": "A coproduced visit record was started (as a draft).",
    "visit_record.saved": "A visit record was saved (field names in the detail, not the text).",
    "visit_record.shared": "A visit record was shared with the patient.",
    "visit_record.commented": "The patient or their parent commented on a shared visit record.",
    "appointment.created": "An appointment came in from the clinic's scheduling system.",
    "appointment.updated": "An imported appointment changed (time, status, clinician, ...).",
    "collaborate.report_viewed": "Someone looked at collaboRATE aggregates (no patient data).",
}
