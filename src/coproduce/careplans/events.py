"""Audit event kinds written by care plans: goals, actions, medications and tapers."""

EVENTS = {
    "careplans.goal.saved": "A goal or clinical target was added or changed.",
    "careplans.action.saved": "An action item was added to the care plan.",
    "careplans.action.done": "An action item was marked done (or not done).",
    "careplans.medication.recorded": "A medication line was recorded or stopped.",
    "careplans.taper.created": "A taper plan was agreed and its schedule stored.",
    "careplans.taper.suggested": "A next-step suggestion was shown for a taper plan.",
    "careplans.taper.decided": "A decision on the next taper step was recorded.",
    "careplans.taper.requested": "The patient asked to pause, slow or stop the taper.",
    "careplans.taper.answered": "The care team answered a taper request.",
    "careplans.dose.flagged": "A dose change outside the taper plan raised an alert.",
    "careplans.medication.confirmed": "The patient or parent confirmed a medication line.",
    "careplans.medication.disputed": "The patient or parent said a medication line is wrong.",
}
