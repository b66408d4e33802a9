"""Audit event kinds written by check-ins."""

from coproduce.audit.events import register

register("checkin.enrolled", "A patient was enrolled in a check-in program.")
register("checkin.unenrolled", "A patient's enrollment in a check-in program ended.")
register("checkin.schedule_changed", "A program's check-in schedule changed.")
register("checkin.link_issued", "A check-in link was made for a patient (e-mail, SMS, portal).")
register("checkin.opened", "A check-in was opened (through its link).")
register("checkin.saved", "Answers on one page of a check-in were saved as a draft.")
register(
    "checkin.fitted",
    "Questions that do not fit the patient now (taper questions with no taper) were dropped.",
)
register("checkin.submitted", "A check-in was submitted, scored and checked by the safety net.")
register("checkin.refused", "A check-in link was refused (expired, used or unknown).")
register("checkin.result_viewed", "The result page of a submitted check-in was shown.")
