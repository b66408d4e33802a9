"""Audit event kinds written by check-ins."""

EVENTS = {
    "checkin.enrolled": "A patient was enrolled in a check-in program.",
    "checkin.unenrolled": "A patient's enrollment in a check-in program ended.",
    "checkin.schedule_changed": "A program's check-in schedule changed.",
    "checkin.link_issued": "A check-in link was made for a patient (e-mail, SMS, portal).",
    "checkin.opened": "A check-in was opened (through its link).",
    "checkin.saved": "Answers on one page of a check-in were saved as a draft.",
    "checkin.fitted": (
        "Questions that do not fit the patient now were dropped (taper questions with no taper,"
        " or questions with no official text in the language the check-in is read in), or a"
        " teen's confidential questions moved to a check-in of their own, away from a parent."
    ),
    "checkin.not_in_language": (
        "A check-in was opened in a language none of its questions has an official text in."
    ),
    "checkin.submitted": "A check-in was submitted, scored and checked by the safety net.",
    "checkin.refused": "A check-in link was refused (expired, used or unknown).",
    "checkin.result_viewed": "The result page of a submitted check-in was shown.",
}
