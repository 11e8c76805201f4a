"""The erasure certificate as a PDF (fpdf2): the same content as the certificate page,
for the person or a regulator, with the signature and how to check it offline.

fpdf2 writes PDF in pure Python (no system libraries, one small dependency tree) and
embeds a Unicode TrueType font, so staff names and reasons print as written; where the
font is missing (``PRIVACY_PDF_FONT``) the built-in Helvetica is used and characters it
lacks are replaced."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from django.conf import settings
from fpdf import FPDF

# Typographic characters Helvetica (latin-1) lacks, by code point.
_REPLACEMENTS = {
    "\u2014": "-",
    "\u2013": "-",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2192": "->",
}


class _Document(FPDF):
    def __init__(self, font_path: str | None):
        super().__init__(format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.unicode = bool(font_path)
        if font_path:
            self.add_font("Body", "", font_path)
            bold = font_path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
            self.add_font("Body", "B", bold if os.path.exists(bold) else font_path)
            self.family = "Body"
        else:
            self.family = "Helvetica"

    def text_safe(self, text: str) -> str:
        if self.unicode:
            return text
        for char, replacement in _REPLACEMENTS.items():
            text = text.replace(char, replacement)
        text = unicodedata.normalize("NFKC", text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 13) -> None:
        self.set_font(self.family, "B", size)
        self.multi_cell(0, 8, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 10)

    def para(self, text: str, height: float = 5.5) -> None:
        self.set_font(self.family, "", 10)
        self.multi_cell(0, height, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        self.set_font(self.family, "B", 10)
        self.cell(48, 6, self.text_safe(label))
        self.set_font(self.family, "", 10)
        self.multi_cell(0, 6, self.text_safe(value), new_x="LMARGIN", new_y="NEXT")


def _font_path() -> str | None:
    path = getattr(settings, "PRIVACY_PDF_FONT", "")
    return path if path and os.path.exists(path) else None


def certificate_pdf(readable: dict[str, Any], *, public_key_url: str) -> bytes:
    """The PDF of ``privacy.certificates.certificate_readable(certificate)``."""
    pdf = _Document(_font_path())
    pdf.set_title(f"Erasure certificate #{readable['number']}")
    pdf.set_author(readable["issuer"])
    pdf.add_page()
    pdf.heading(f"Erasure certificate #{readable['number']}", size=16)
    pdf.para(f"Issued by {readable['issuer']}.")
    pdf.ln(2)
    pdf.row("Record erased", readable["record"])
    if readable["reference"]:
        pdf.row("Reference", readable["reference"])
    pdf.row("Why", readable["trigger"])
    pdf.row("Performed by", readable["performed_by"])
    pdf.row("When", f"{readable['performed_at']} ({readable['performed_at_utc']})")
    pdf.ln(3)
    pdf.heading("What was erased")
    if readable["erased"]:
        for item in readable["erased"]:
            pdf.para(f"- {item.category}: {item.count} x {item.what}")
    else:
        pdf.para("Nothing was left to erase.")
    pdf.ln(2)
    pdf.heading("What was kept, and why")
    if readable["kept"]:
        for item in readable["kept"]:
            references = f" ({', '.join(item.references)})" if item.references else ""
            pdf.para(f"- {item.count} x {item.what}: {item.why}{references}")
    else:
        pdf.para("Nothing.")
    pdf.ln(2)
    pdf.heading("Suppression list")
    pdf.para(
        f"{readable['suppressed']} e-mail address(es) or phone number(s) that had asked "
        "not to be contacted were added to the suppression list, as a keyed hash only, "
        "so they are never contacted again."
    )
    pdf.ln(3)
    pdf.heading("Digital signature")
    pdf.para(
        f"Ed25519 signature by key {readable['key_id']} over the canonical JSON of this "
        "certificate (download it as certificate-"
        f"{readable['number']}.json from the back office):"
    )
    pdf.set_font("Courier", "", 8)
    pdf.multi_cell(0, 4, readable["signature"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.para(
        f"Public key: {public_key_url}. Check offline with: python -m privacy.certificates "
        f"verify certificate-{readable['number']}.json --key certificate-key.pem"
    )
    return bytes(pdf.output())
