"""Refuse an over-large request before reading its body.

Django's own limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, and ``MAX_UPLOAD_BYTES`` checked by the
upload validators) only apply once the body has been received: a 200 MB upload would be read in
full first. This middleware looks at the declared ``Content-Length`` and answers 413 at once,
with a page that says what the limit is; nothing of the request is read or saved, so whatever
the visitor had saved before (an application draft, earlier uploads) is as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def max_request_bytes() -> int:
    """The largest request body accepted: every file of the largest form (the application's
    two PDFs) at the per-file limit, plus the form's other fields."""
    return 2 * settings.MAX_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_request_bytes():
            response = render(
                request,
                "request_too_large.html",
                {
                    "size_mb": declared / 1e6,
                    "file_limit_mb": settings.MAX_UPLOAD_BYTES / 1e6,
                    "back": request.path,
                },
                status=413,
            )
            # The unread body stays in the socket: the connection cannot be reused.
            response["Connection"] = "close"
            return response
        return self.get_response(request)
