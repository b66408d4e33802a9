"""The signed consent copy as a PDF, made on the server with fpdf2 (pure Python, PyPI).

A Unicode font is used when the system has DejaVu Sans (Debian's fonts-dejavu-core);
otherwise the PDF core font, with characters outside Latin-1 replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from fpdf import FPDF

    from coproduce.research.participants import Consent

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(pdf: FPDF) -> tuple[str, bool]:
    if FONT.exists():
        pdf.add_font("DejaVu", "", str(FONT))
        return "DejaVu", True
    return "Helvetica", False


def consent_pdf(consent: Consent) -> bytes:
    """Return the PDF copy of a signature: the document as signed, then who, when, how."""
    document = consent.document
    study = document.study
    zone = consent.participant.site.zone
    from fpdf import FPDF  # with fontTools ~1 s to import: only when a PDF is made

    pdf = FPDF(format="A4")
    pdf.set_title(document.title)
    pdf.set_author("coproduce")
    pdf.set_creation_date(consent.signed_at)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 8, text(document.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    head = _("%(study)s, protocol %(protocol)s. Consent version %(version)s, approved %(date)s.")
    pdf.multi_cell(
        0,
        6,
        text(
            head
            % {
                "study": study.title,
                "protocol": study.protocol_version,
                "version": document.version,
                "date": document.approved_on.isoformat(),
            }
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font(family, size=11)
    for paragraph in document.body.split("\n\n"):
        pdf.multi_cell(0, 6, text(" ".join(paragraph.split())), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_font(family, size=12)
    pdf.multi_cell(0, 7, text(_("Signature")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    signed = timezone.localtime(consent.signed_at, zone)
    lines = [
        _("Signed by (typed name): %(name)s") % {"name": consent.typed_name},
        _("Signing as: %(signer)s") % {"signer": consent.get_signer_display()},
        _("I have read this information and I agree to take part: ticked."),
        _("Signed at: %(time)s (%(zone)s)")
        % {"time": signed.strftime("%Y-%m-%d %H:%M"), "zone": zone.key},
        _("Device: %(device)s") % {"device": consent.device or _("not known")},
    ]
    for line in lines:
        pdf.multi_cell(0, 6, text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
