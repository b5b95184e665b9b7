"""Browser tests: Debian's Chromium driving the live server."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZOOM = "https://zoom.example.com/j/123456789"


def test_visitor_subscribes_confirms_and_then_sees_the_zoom_link(page, settings, make_talk):
    settings.SITE_URL = page.base  # so the emailed links point at the live server
    talk = make_talk(title="Neural tangent kernels", zoom_url=ZOOM)

    page.goto(page.base + "/seminars/")
    assert page.locator(f'a[href="{ZOOM}"]').count() == 0
    page.fill("input[name=email]", "visitor@example.edu")
    page.click("form.subscribe button[type=submit]")
    page.wait_for_selector(".subscribe-sent")

    call_command("send_outbox", stdout=mock.MagicMock())  # the background worker's job
    (message,) = mail.outbox
    confirm_url = re.search(re.escape(page.base) + r"/seminars/confirm/\S+", message.body).group(0)

    page.goto(confirm_url)
    page.click("text=Confirm subscription")
    page.wait_for_selector(".confirmed")

    page.goto(page.base + talk.get_absolute_url())
    assert page.locator(f'.zoom a[href="{ZOOM}"]').is_visible()
    page.goto(page.base + "/seminars/")
    assert page.locator(f'#upcoming .zoom a[href="{ZOOM}"]').is_visible()
    assert "You are subscribed as visitor@example.edu" in page.content()


def test_anonymous_visitor_cannot_see_a_zoom_link(page, make_talk):
    talk = make_talk(title="Neural tangent kernels", zoom_url=ZOOM)
    for path in ("/seminars/", talk.get_absolute_url()):
        page.goto(page.base + path)
        assert "Neural tangent kernels" in page.content()
        assert ZOOM not in page.content()
    assert page.locator(".zoom-hidden").is_visible()
