"""How pages and files are delivered (issue 17 item 7, issue 8 item 12, issue 16 item 1): a
strict Content-Security-Policy on every page, gzip for pages, Cache-Control by audience, the
favicon at the root, and static files under hashed names with a long expiry."""

from __future__ import annotations

import gzip
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from mltheory.portal.server import load_demo

pytestmark = pytest.mark.django_db

MAIN_PAGES = ["/", "/courses/spring-2021/cs229br/", "/courses/spring-2021/18408/", "/seminars/"]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return load_demo()


def _directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


@pytest.mark.parametrize(
    "path", MAIN_PAGES + ["/apply/", "/accounts/login/", "/accounts/signup/", "/nowhere/"]
)
def test_every_page_sends_a_strict_content_security_policy(client, demo, path):
    response = client.get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'none'"
    for kind in ("script-src", "style-src", "img-src", "form-action"):
        assert policy[kind] == "'self'", (kind, policy)
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def test_templates_hold_no_inline_script_or_style(client, demo):
    for path in MAIN_PAGES + ["/apply/", "/accounts/signup/"]:
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path  # no onclick= and the like


def test_pages_are_gzipped_when_the_browser_asks(client, demo):
    plain = client.get("/")
    compressed = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    body = gzip.decompress(compressed.content)
    assert b"Machine learning theory" in body
    assert len(compressed.content) < len(plain.content) / 2


def test_public_pages_may_be_cached_and_personal_ones_may_not(client, demo):
    home = client.get("/")
    assert "public" in home["Cache-Control"] and "max-age=300" in home["Cache-Control"]
    assert "Cookie" in home["Vary"]
    # A page with a form sets the CSRF cookie: private.
    signup = client.get("/accounts/signup/")
    assert "private" in signup["Cache-Control"] and "public" not in signup["Cache-Control"]
    user = User.objects.create_user("ada@mit.edu", "ada@mit.edu", "a-long-passphrase-1")
    client.force_login(user)
    for path in ("/", "/apply/"):
        response = client.get(path)
        assert "private" in response["Cache-Control"], path
        assert "public" not in response["Cache-Control"], path


def test_favicon_and_robots_are_served_at_the_root(client, db):
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200
    assert favicon["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(favicon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert client.get("/robots.txt").status_code == 200


def test_collectstatic_hashes_names_and_whitenoise_serves_them_for_a_year(tmp_path, settings):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=tmp_path / "static",
        STORAGES=storages,
        DEBUG=False,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        url = static("portal/site.css")
        assert re.fullmatch(r"/static/portal/site\.[0-9a-f]{12}\.css", url), url
        hashed = tmp_path / "static" / url.removeprefix("/static/")
        assert hashed.exists() and hashed.with_name(hashed.name + ".gz").exists()

        serve = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
        response = serve(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip"))
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]
