"""The signed consent copy as a PDF: readable, in the signer's own letters, copy after copy."""

from __future__ import annotations

import io

import pytest

from coproduce.platform import clock
from coproduce.research import consent
from coproduce.research.models import Signer
from coproduce.research.participants import Consent
from coproduce.research.pdf import FONT
from tests.research.helpers import eligible, screened


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def sign(participant, signer, by, name: str) -> bytes:
    token = consent.issue_link(participant, signer, by=by)
    consent.sign(consent.link_for_token(token, now=clock.now()), typed_name=name, agreed=True)
    return bytes(Consent.objects.filter(participant=participant).latest("signed_at").pdf)


@pytest.mark.skipif(not FONT.exists(), reason="DejaVu Sans (fonts-dejavu-core) is not installed")
def test_each_copy_embeds_the_letters_of_its_own_signer(world, trial):
    # fpdf2 embeds only the glyphs a copy uses, cutting its font down in place: a copy cut
    # down to an earlier signer's letters would lose Ł, ż and ő here.
    trial.study.min_age = 12
    trial.study.save()
    alice = screened(trial, world.alice, world.cora)
    tom = eligible(screened(trial, world.tom, world.nina), world.cora)
    first = sign(alice, Signer.ADULT, world.cora, "Åsa Öberg")
    second = sign(tom, Signer.PARENT, world.cora, "Łucja Żółć-Erdős")
    assert "Signed by (typed name): Åsa Öberg" in pdf_text(first)
    assert "Signed by (typed name): Łucja Żółć-Erdős" in pdf_text(second)
    assert b"DejaVuSans" in first and b"DejaVuSans" in second
