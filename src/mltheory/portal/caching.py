"""Cache-Control for the pages Django renders.

A page is public when it was served to a visitor without a session and sets no cookie (no
CSRF token, no session): the home page, course pages, the seminar series and talks as an
anonymous visitor sees them. Those may be kept by browsers and shared caches for
``PUBLIC_PAGE_MAX_AGE`` seconds, with ``Vary: Cookie`` so that a signed-in visitor (or a
confirmed subscriber, who sees Zoom links) never gets the anonymous copy. Everything else is
``private, no-cache``: it may hold personal data or a form's token. A view that sets its own
Cache-Control keeps it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        public = (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not response.cookies
            and not request.COOKIES
            and (user is None or not user.is_authenticated)
        )
        if public:
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE)
            patch_vary_headers(response, ["Cookie"])
        else:
            patch_cache_control(response, private=True, no_cache=True)
        return response
