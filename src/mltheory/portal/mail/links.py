"""Absolute links in emails: confirmation, verification and unsubscribe links, decisions.

The address is ``SITE_URL`` when it is set (production sets its https address). Without it,
it is the address the request that queues the email was made to (its scheme and host, which
Django checks against ``ALLOWED_HOSTS``), so a site served on another host or port mails
links that work; ``mlt portal`` sets ``SITE_URL`` to the address it serves on. Outside any
request (a cron job) and without ``SITE_URL``, links fall back to http://127.0.0.1:8000.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost

LOCAL_FALLBACK = "http://127.0.0.1:8000"

_request_address: ContextVar[str | None] = ContextVar("portal_request_address", default=None)


def site_url() -> str:
    return settings.SITE_URL or _request_address.get() or LOCAL_FALLBACK


def absolute_url(path: str) -> str:
    return site_url() + path


class RequestAddressMiddleware:
    """Remember, for the request's duration, the address it was made to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            address = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            address = None  # CommonMiddleware answers 400 for it
        token = _request_address.set(address)
        try:
            return self.get_response(request)
        finally:
            _request_address.reset(token)
