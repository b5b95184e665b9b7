"""What the home page shows from the sister apps (admissions, seminars).

Those apps are written alongside this one; until they provide what is asked of them, the home
page shows its own sections and leaves theirs out instead of failing.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def current_application_call():
    """The admissions app's current call for applications, or None."""
    try:
        from mltheory.portal.admissions.models import current_call

        return current_call()
    except (ImportError, AttributeError) as error:
        log.warning("No application call on the home page: %s", error)
        return None


def upcoming_talks(limit: int = 5) -> list:
    """The seminar series' next talks, soonest first (empty until the seminars app has them)."""
    try:
        from mltheory.portal.seminars.models import Talk

        return list(Talk.objects.upcoming()[:limit])
    except (ImportError, AttributeError) as error:
        log.warning("No seminar talks on the home page: %s", error)
        return []
