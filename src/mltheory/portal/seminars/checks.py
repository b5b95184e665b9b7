"""System checks for settings the seminar series depends on."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def site_url_is_https(app_configs, **kwargs):
    # RFC 8058 one-click unsubscribe requires an https List-Unsubscribe URL; mail
    # providers ignore (or distrust) http ones.
    if settings.DEBUG or settings.SITE_URL.startswith("https://"):
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL or 'not set'!r}; emails' links (one-click "
            "unsubscribe among them) need the site's https address.",
            hint="Set SITE_URL=https://your-host in the environment.",
            id="seminars.W001",
        )
    ]
