"""Uploaded files: content-checked PDFs, permission-checked downloads, and the clean-up of
files an upload replaced.

Files are stored under MEDIA_ROOT but never served from it: views decide who may download
and stream the file with :func:`protected_file_response`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
from pypdf import PdfReader

PDF_MAGIC = b"%PDF-"

# pypdf reports every oddity of a malformed file as a warning; the form's error says enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def validate_pdf(uploaded) -> None:
    """Accept only a PDF that a PDF reader can open: checked by parsing its content (never by
    its name), not encrypted (staff could not read it), with at least one page, and within
    ``MAX_UPLOAD_BYTES``."""
    limit = settings.MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            f"{uploaded.name} is {uploaded.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB."
        )
    pos = uploaded.tell() if hasattr(uploaded, "tell") else 0
    try:
        uploaded.seek(0)
        if PDF_MAGIC not in uploaded.read(1024):
            raise ValueError("no PDF header")
        uploaded.seek(0)
        reader = PdfReader(uploaded)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception:  # noqa: BLE001 -- pypdf raises many kinds of error on what is not a PDF
        raise ValidationError(
            f"{uploaded.name} is not a PDF file (a PDF reader cannot open it). Upload a PDF "
            "export.",
            code="not_pdf",
        ) from None
    finally:
        uploaded.seek(pos)
    if encrypted:
        raise ValidationError(
            f"{uploaded.name} is password-protected (encrypted). Upload a PDF without a password.",
            code="encrypted_pdf",
        )
    if pages == 0:
        raise ValidationError(f"{uploaded.name} has no pages.", code="empty_pdf")


def replaced_files(instance, own_names: dict[str, re.Pattern], update_fields=None) -> list:
    """The stored files that saving ``instance`` will replace (or clear), as ``(storage, name)``.

    Call it before ``save()``, and pass the result to :func:`delete_after_commit` after.
    ``own_names`` maps each file field to the pattern of the names the portal itself gives
    that field's uploads; a name that does not match (a file put there by hand, a shipped
    demo file) is never deleted.
    """
    fields = [f for f in own_names if update_fields is None or f in update_fields]
    if instance.pk is None or not fields:
        return []
    old = type(instance)._default_manager.filter(pk=instance.pk).values(*fields).first() or {}
    replaced = []
    for field in fields:
        old_name = old.get(field) or ""
        new_file = getattr(instance, field)
        if old_name and old_name != (new_file.name or "") and own_names[field].fullmatch(old_name):
            replaced.append((new_file.storage, old_name))
    return replaced


def delete_after_commit(files) -> None:
    """Delete ``(storage, name)`` files once the transaction that replaced them commits, so a
    rollback never leaves a row pointing at a deleted file."""
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


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
