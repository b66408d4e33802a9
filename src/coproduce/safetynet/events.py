"""Audit event kinds written by the safety net: alerts and their handling (registered in
the app's ready(), so every module raising an alert, careplans too, finds them)."""

EVENTS = {
    "alert.raised": "The safety net raised an alert for the care team.",
    "alert.viewed": "A care-team member opened an alert (and the check-in behind it).",
    "alert.listed": "The alert queue was shown (detail lists the registry IDs).",
    "alert.acknowledged": "A care-team member acknowledged an alert.",
    "alert.resolved": "A care-team member resolved an alert with a note.",
    "alert.reassigned": "An alert was reassigned to another team member.",
    "alert.snoozed": "A rule was snoozed for a patient for a number of days.",
    "alert.escalated": "An urgent alert was not acknowledged in time and was escalated.",
    "alert.unreached": "An urgent alert could reach nobody (no address, or its sends kept "
    "failing); the registry admins were told.",
}
