from __future__ import annotations

import secrets

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from ..calendar_feed import FeedEvent, calendar_response, subscribe_links
from .forms import SpeakerTalkForm, SubscribeForm
from .mailing import absolute_url
from .models import Subscriber, Talk
from .zoom_access import (
    can_see_zoom,
    forget_subscriber,
    recognised_subscriber,
    remember_subscriber,
    remembered_token,
)


def _private(response):
    """Pages that show the Zoom link to some visitors must not be cached for everyone."""
    patch_vary_headers(response, ("Cookie",))
    patch_cache_control(response, private=True)
    return response


@require_GET
def series(request):
    now = timezone.now()
    return _private(
        render(
            request,
            "seminars/series.html",
            {
                "upcoming": Talk.objects.upcoming(now),
                "past": Talk.objects.past(now),
                "show_zoom": can_see_zoom(request),
                "subscriber": recognised_subscriber(request),
                "form": SubscribeForm(),
                "calendar": subscribe_links(request, reverse("seminars:calendar")),
            },
        )
    )


@require_GET
def talk_detail(request, pk: int):
    talk = get_object_or_404(Talk, pk=pk)
    return _private(
        render(
            request,
            "seminars/talk_detail.html",
            {"talk": talk, "is_over": talk.is_over(), "show_zoom": can_see_zoom(request)},
        )
    )


@require_GET
def calendar(request):
    """The series' public iCal feed. It has no Zoom links: anyone can read a feed URL."""
    events = [
        FeedEvent(
            uid=f"seminar-talk-{talk.pk}@mltheory",
            title=f"ML theory seminar: {talk.title} ({talk.speakers})",
            start=talk.starts_at,
            end=talk.ends_at,
            description=talk.abstract,
            url=absolute_url(talk.get_absolute_url()),
            location="Zoom (link mailed to subscribers)",
        )
        for talk in Talk.objects.order_by("starts_at")
    ]
    return calendar_response("ML theory seminar", events)


def _email_key(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


# Rate limits count in the default cache: with several gunicorn workers, set
# MLT_PORTAL_CACHE=database (docs/portal.md) so that the workers share one count. Behind the
# proxy the client's address comes from X-Forwarded-For (RATELIMIT_IP_META_KEY in settings).
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=False)
@ratelimit(key=_email_key, rate="3/h", method="POST", block=False)
def subscribe(request):
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            form.add_error(None, "Too many subscription requests. Please try again in an hour.")
            status = 429
        elif form.is_valid():
            Subscriber.request_subscription(form.cleaned_data["email"])
            return render(
                request, "seminars/subscribe_sent.html", {"email": form.cleaned_data["email"]}
            )
        else:
            status = 400
    return render(request, "seminars/subscribe.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def confirm(request, code: str):
    """GET shows a button; POST confirms. Mail scanners that fetch links only ever GET, so
    they cannot confirm an address (or receive the subscriber cookie) on anyone's behalf."""
    try:
        subscriber = Subscriber.from_confirmation_code(code)
    except signing.SignatureExpired:
        return render(request, "seminars/confirm_invalid.html", {"expired": True}, status=410)
    except (signing.BadSignature, Subscriber.DoesNotExist):
        return render(request, "seminars/confirm_invalid.html", {"expired": False}, status=404)
    if request.method == "GET":
        return render(request, "seminars/confirm.html", {"subscriber": subscriber})
    subscriber.confirm()
    response = render(request, "seminars/confirmed.html", {"subscriber": subscriber})
    remember_subscriber(response, subscriber)
    return response


# RFC 8058 one-click unsubscribe: mail providers POST "List-Unsubscribe=One-Click" to this
# URL without cookies or a CSRF token, so CSRF protection is off for this view only. It is
# safe: the secret token in the URL authorises the request, and unsubscribing is idempotent.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscriber = Subscriber.objects.filter(token=token).first()
    if subscriber is None:
        raise Http404("No such subscription.")
    if request.method == "GET":
        return render(request, "seminars/unsubscribe.html", {"subscriber": subscriber})
    subscriber.unsubscribe()
    response = render(request, "seminars/unsubscribed.html", {"subscriber": subscriber})
    if remembered_token(request) == subscriber.token:
        forget_subscriber(response)
    return response


@require_http_methods(["GET", "POST"])
def speaker_edit(request, pk: int, token: str):
    """The speaker's private page for their own talk; the token in the URL is the credential."""
    talk = get_object_or_404(Talk, pk=pk)
    if not secrets.compare_digest(token, talk.speaker_token):
        raise Http404("This link is not valid (it may have been replaced by a newer one).")
    form = SpeakerTalkForm(request.POST or None, instance=talk)
    saved = False
    if request.method == "POST" and form.is_valid():
        form.save()
        saved = True
        form = SpeakerTalkForm(instance=talk)
    response = render(
        request, "seminars/speaker_edit.html", {"talk": talk, "form": form, "saved": saved}
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_cache_control(response, private=True, no_store=True)
    return response
