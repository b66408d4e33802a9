"""The kinds of audit event, each with what it means (unknown kinds are refused)."""

EVENT_TYPES: dict[str, str] = {
    "login.succeeded": "A user logged in.",
    "login.failed": "A login attempt failed.",
    "login.throttled": "A login attempt was refused after too many failures.",
    "logout": "A user logged out.",
    "session.expired": "A staff session ended after inactivity.",
    "patient.viewed": "A patient's record page was opened.",
    "patient.listed": "A list of patients was shown (detail lists the registry IDs).",
    "patient.created": "A patient was registered.",
    "patient.updated": "A patient's details changed.",
    "proxy.granted": "Someone was given access to act for or read a patient's data.",
    "proxy.revoked": "Access to a patient's data was withdrawn.",
    "audit.searched": "The audit log was searched.",
    "admin.viewed": "A registry admin opened an object in the admin.",
    "site.created": "A site was set up (with its urgent contact).",
    "site.test_alert_sent": "A test alert was sent to a site's urgent contact.",
}


def register(event: str, description: str) -> None:
    """Add an event kind (apps call this at import time for their own events)."""
    EVENT_TYPES.setdefault(event, description)
