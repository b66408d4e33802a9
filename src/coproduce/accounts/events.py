"""Audit event kinds of sign-in, second factor, password reset and single sign-on."""

EVENTS = {
    "mfa.enrolled": "A user set up an authenticator app (second factor).",
    "mfa.verified": "A user passed the second-factor check.",
    "mfa.failed": "A second-factor code was wrong.",
    "mfa.recovery_used": "A user signed in with a one-time recovery code.",
    "mfa.recovery_renewed": "A user made a new set of recovery codes.",
    "mfa.reset": "A registry admin removed another user's second factor.",
    "session.ended_everywhere": "A user ended all of their sessions.",
    "password.reset_requested": "A password reset was asked for (detail: how it was sent).",
    "password.reset_done": "A password was changed through a reset link.",
    "account.unlocked": "A registry admin cleared an account's failed logins.",
    "oidc.login": "A user signed in through the hospital's identity provider.",
    "oidc.refused": "Single sign-on was refused (detail says why).",
    "oidc.linked": "A provider identity was linked to a coproduce account.",
    "user.created": "A user account was created (detail: by whom or what).",
    "user.role_changed": "A user's role changed (detail: from, to, source).",
    "careteam.member_added": "A user joined a care team (detail: source).",
    "careteam.member_removed": "A user left a care team (detail: source).",
    "claim_mapping.approved": "A registry admin approved a single sign-on claim mapping.",
    "claim_mapping.approval_refused": (
        "A registry admin was refused approving a claim mapping they wrote themselves."
    ),
    "record.downloaded": "A patient or parent downloaded the patient's record.",
}
