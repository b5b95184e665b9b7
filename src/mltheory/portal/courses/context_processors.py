"""Template context every page gets: the current offering's courses, for the site header."""

from __future__ import annotations

from .models import Course


def header_courses(request):
    # A callable: the template calls it only when it renders the header (one query).
    def courses():
        return list(
            Course.objects.filter(offering__is_current=True)
            .select_related("offering")
            .order_by("institution", "code")
        )

    return {"header_courses": courses}
