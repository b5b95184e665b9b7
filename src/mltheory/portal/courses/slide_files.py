"""Lecture slides: PDF or PowerPoint, recognised by content, not by file name."""

from __future__ import annotations

import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError

from mltheory.portal.uploads import PDF_MAGIC, validate_pdf

# Legacy .ppt files are OLE compound documents, which start with this signature.
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"


def _is_pptx(uploaded) -> bool:
    """A .pptx is a zip (Office Open XML) whose presentation lives under ``ppt/``."""
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith("ppt/") for n in names)


def validate_slides(uploaded) -> None:
    """Accept a PDF, a PowerPoint .pptx or a legacy .ppt file; reject anything else."""
    limit = settings.MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            f"{uploaded.name} is {uploaded.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB."
        )
    pos = uploaded.tell() if hasattr(uploaded, "tell") else 0
    try:
        uploaded.seek(0)
        head = uploaded.read(1024)
        if PDF_MAGIC in head:
            validate_pdf(uploaded)
            return
        if head.startswith(OLE_MAGIC):
            return
        if head.startswith(ZIP_MAGIC) and _is_pptx(uploaded):
            return
    finally:
        uploaded.seek(pos)
    raise ValidationError(
        f"{uploaded.name} is neither a PDF nor a PowerPoint file (by its content). "
        "Upload slides as PDF, .pptx or .ppt, or give a link instead."
    )
