"""``{% both_times dt %}``: a time in the viewer's zone, with Eastern time beside it.

The server renders the Eastern time (what a page shows without script); ``portal/site.js``
puts the viewer's own time in front of it when the viewer's zone shows another wall-clock time,
and leaves the one Eastern time when it does not (zone detected with ``Intl``, changeable by
the viewer and remembered in localStorage).
"""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def both_times(dt, fmt: str = "%a %b %-d, %Y, %-I:%M %p"):
    if dt is None:
        return ""
    eastern = dt.astimezone(ZoneInfo(settings.COURSE_TIME_ZONE))
    # A valid HTML datetime: UTC to the second (microseconds are not allowed there).
    utc = dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return format_html(
        '<span class="both-times"><span class="viewer-time" data-utc="{}"></span>'
        '<time class="eastern" datetime="{}">{} {}</time></span>',
        utc,
        utc,
        eastern.strftime(fmt),
        eastern.tzname(),
    )
