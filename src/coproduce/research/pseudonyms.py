"""A participant's pseudonym in one study: a keyed hash nobody without the key can reverse.

HMAC-SHA256 with settings.COPRODUCE_PSEUDONYM_KEY of the study and the patient's registry
ID, so the same participant has the same ID in every export of a study, and nobody can link
one person across two studies or go back to the registry ID. The same function (and so the
same IDs) as the research exports' de-identification (`research.deid.pseudonym` on the
"exports" branch); when both are merged, one should call the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings

from coproduce.people.models import Patient
from coproduce.research.models import Study


def study_pseudonym(study_slug: str, registry_id: str) -> str:
    """E.g. 'P-4QJ7K2MZXA3B': 12 base32 characters of the keyed hash."""
    key = settings.COPRODUCE_PSEUDONYM_KEY.encode()
    message = f"id\x1f{study_slug}\x1f{registry_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest).decode()[:12]


def pseudonym(study: Study, patient: Patient) -> str:
    """The patient's ID in this study's exports."""
    return study_pseudonym(study.slug, patient.registry_id)
