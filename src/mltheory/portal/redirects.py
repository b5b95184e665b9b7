"""Where a form's ``next`` field may send the visitor afterwards."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def next_url_or(request, default: str) -> str:
    """The POSTed ``next`` if it is a path on this site, else ``default``.

    Only absolute paths count: anything else (another host, a scheme, a bare word that
    ``redirect`` would take for a URL name, a NUL byte) falls back to ``default``.
    """
    candidate = request.POST.get("next", "")
    if (
        candidate.startswith("/")
        and candidate.isprintable()
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default
