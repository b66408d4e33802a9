"""De-identification for research exports: pseudonyms, date shifts, top-coded ages, scrubbing.

Pseudonyms and date offsets are keyed hashes (HMAC-SHA256) of the study and the patient's
registry ID with COPRODUCE_PSEUDONYM_KEY: the same participant gets the same ID and the same
offset in every file and every later export of that study, and nobody without the key can
go back from one to the registry ID, nor link one person across two studies.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable

from django.conf import settings

#: Dates move back by 1..MAX_SHIFT_DAYS days, never 0: no exported date is a true date.
MAX_SHIFT_DAYS = 365
#: Ages above this are shown as TOP_CODED_AGE (HIPAA Safe Harbor: ages over 89).
OLDEST_SHOWN_AGE = 89
TOP_CODED_AGE = 90


def _digest(purpose: str, study_slug: str, registry_id: str) -> bytes:
    key = settings.COPRODUCE_PSEUDONYM_KEY.encode()
    message = f"{purpose}\x1f{study_slug}\x1f{registry_id}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()


def pseudonym(study_slug: str, registry_id: str) -> str:
    """The participant's ID in this study's exports, e.g. 'P-4QJ7K2MZXA3B'."""
    code = base64.b32encode(_digest("id", study_slug, registry_id)).decode()[:12]
    return f"P-{code}"


def date_offset(study_slug: str, registry_id: str) -> int:
    """Days (negative, never 0) added to every date of this participant in this study."""
    value = int.from_bytes(_digest("date", study_slug, registry_id)[:8], "big")
    return -(1 + value % MAX_SHIFT_DAYS)


def shift(day: dt.date | None, offset: int) -> dt.date | None:
    return None if day is None else day + dt.timedelta(days=offset)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def top_coded_age(born: dt.date, day: dt.date) -> int:
    """Age in whole years on `day`; everyone over 89 is 90."""
    return min(age_on(born, day), TOP_CODED_AGE)


# --- Free text ---------------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
STREET = re.compile(
    r"\b\d+[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){0,3}"
    r"(?:street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|gatan|vägen|väg|gata|court|place)\b\.?",
    re.IGNORECASE,
)
# Anything with a digit: phone numbers, record numbers, registry IDs, dates, postcodes.
NUMBERISH = re.compile(r"[\w+()./:-]*\d[\w+()./:-]*(?:[ -]\d[\w./-]*)*")


def scrub(text: str, names: Iterable[str]) -> tuple[str, bool]:
    """Return `text` without e-mails, web addresses, street addresses, numbers and `names`.

    Each removed piece becomes a bracketed tag such as [NAME]; the flag says whether anything
    was removed. Names are matched as whole words, case-insensitively.
    """
    out = text
    for pattern, tag in ((EMAIL, "[EMAIL]"), (URL, "[URL]"), (STREET, "[ADDRESS]")):
        out = pattern.sub(tag, out)
    words = sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True)
    if words:
        names_re = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
        )
        out = names_re.sub("[NAME]", out)
    out = NUMBERISH.sub("[NUMBER]", out)
    return out, out != text
