"""Uploaded files: content-checked PDFs and permission-checked downloads.

Files are stored under MEDIA_ROOT but never served from it: views decide who may download
and stream the file with :func:`protected_file_response`.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse

PDF_MAGIC = b"%PDF-"


def validate_pdf(uploaded) -> None:
    """Reject anything that is not a PDF by its content (not its name), or is too large."""
    limit = settings.MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            f"{uploaded.name} is {uploaded.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB."
        )
    pos = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    head = uploaded.read(1024)
    uploaded.seek(max(0, uploaded.size - 2048))
    tail = uploaded.read()
    uploaded.seek(pos)
    # A PDF starts with "%PDF-" (within the first KiB, per the spec's leniency) and ends with %%EOF.
    if PDF_MAGIC not in head or b"%%EOF" not in tail:
        raise ValidationError(
            f"{uploaded.name} is not a PDF file (its content is not PDF). Upload a PDF export."
        )


def protected_file_response(
    field_file, download_name: str | None = None, private: bool = True
) -> FileResponse:
    """Stream a stored file as an attachment (the caller has already checked permission).

    ``private`` (the default) forbids shared and browser caches from keeping a copy; only files
    anyone may download (published lecture slides) pass ``private=False``."""
    name = download_name or Path(field_file.name).name
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name)
    if private:
        response["Cache-Control"] = "private, no-store"
    return response
