"""PDF uploads are opened with a real PDF parser: what it cannot open, what is encrypted and
what has no pages is refused with a message that says which."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from mltheory.portal.uploads import validate_pdf


def _pdf(pages: int = 1, encrypt: bool = False) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    if encrypt:
        writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# What passed the old substring check: an HTML page with "%PDF-" in a comment and "%%EOF" at
# the end (served as an attachment with nosniff, but not a PDF).
HTML_POSING_AS_PDF = (
    b"<!-- %PDF-1.4 --><html><body><script>alert(1)</script></body></html>\n%%EOF\n"
)


def test_a_real_pdf_is_accepted_and_the_file_is_rewound():
    upload = SimpleUploadedFile("pset0.pdf", _pdf(pages=2))
    validate_pdf(upload)
    assert upload.tell() == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (HTML_POSING_AS_PDF, "is not a PDF file"),
        (b"%PDF-1.4\n%%EOF\n", "is not a PDF file"),
        (b"%PDF-1.7 truncated \x00\x01", "is not a PDF file"),
        (_pdf(encrypt=True), "is password-protected"),
        (_pdf(pages=0), "has no pages"),
    ],
    ids=["html-with-pdf-markers", "markers-only", "truncated", "encrypted", "zero-pages"],
)
def test_what_a_pdf_reader_cannot_use_is_refused_with_a_clear_message(content, message):
    with pytest.raises(ValidationError, match=message):
        validate_pdf(SimpleUploadedFile("pset0.pdf", content))
