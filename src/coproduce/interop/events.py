"""Audit event kinds written by the interop app: REDCap exports, FHIR API clients and tokens."""

from coproduce.audit.events import register

register("redcap.records_exported", "A patient's check-in answers were written to a REDCap file.")
register("apiclient.created", "A system was registered to call the FHIR API.")
register("apiclient.revoked", "A system's access to the FHIR API was withdrawn.")
register("apiclient.rotated", "A system's client secret or key set was replaced.")
register("apiclient.token_issued", "A system was issued a FHIR access token.")
register("apiclient.token_used", "A system called the FHIR API with an access token.")
register(
    "apiclient.response_submitted",
    "A system stored a patient's QuestionnaireResponse for its staff user.",
)
