"""``{% both_times dt %}``: a time shown in Eastern time and, beside it, in the viewer's zone.

The server renders the Eastern time; ``static`` JS in ``base.html`` fills the viewer's own
zone (detected with ``Intl``, changeable by the viewer and remembered in localStorage).
"""

from __future__ import annotations

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
    return format_html(
        '<span class="both-times"><time class="eastern" datetime="{}">{} {}</time>'
        '<span class="viewer-time" data-utc="{}"></span></span>',
        dt.isoformat(),
        eastern.strftime(fmt),
        eastern.tzname(),
        dt.isoformat(),
    )
