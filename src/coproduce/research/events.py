"""Audit event kinds of the research app."""

from coproduce.audit.events import register

register("research.screened", "A patient was entered in a study's screening log.")
register("research.approached", "A screened patient was approached about a study.")
register("research.declined", "A patient declined to take part in a study (with the reason).")
register("research.eligibility", "A coordinator confirmed (or not) a participant's eligibility.")
register("research.consent_link_issued", "A single-use consent signing link was sent.")
register("research.consent_signed", "A consent, permission or assent was signed.")
register("research.consent_copy", "A signed consent copy was opened.")
register("research.consent_signed_off", "A PI put a consent version in force.")
register("research.randomised", "A participant was allocated (detail: stratum, position).")
register("research.arm_viewed", "A participant's allocated arm was shown.")
register("research.allocations_listed", "The allocation list was shown (unblinded).")
register("research.withdrawn", "A participant withdrew (detail: the scope).")
register("research.completed", "A participant completed the study.")
register("research.contact_logged", "A coordinator logged a contact with a participant.")
register("research.session_recorded", "Attendance at a treatment session was recorded.")
register("research.workspace_viewed", "A study workspace page was shown.")
