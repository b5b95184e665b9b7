"""Every main page of the portal in a real browser (Debian's Chromium): WCAG 2.1 AA with axe-core,
no Content-Security-Policy violation, strictly valid HTML, reflow without sideways scroll at
320, 390 and 1280 px, and the application form by keyboard alone.

Screenshots of every page at every width go to ``test-artifacts/screenshots/`` at the
repository root when ``MLT_TEST_ARTIFACTS`` names a folder, else to pytest's tmp dir.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import html5lib
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.admissions.models import Application, CourseApplication
from mltheory.portal.courses.models import Course
from mltheory.portal.seminars.models import Talk
from mltheory.portal.server import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PASSWORD = "a-long-passphrase-1"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe's best practices too (heading order, landmarks, empty table headers): none fail either.
AXE_TAGS = [*WCAG_21_AA, "best-practice"]
WIDTHS = (320, 390, 1280)


@dataclass(frozen=True)
class PortalPage:
    name: str
    path: str
    user: str | None = None  # email of the signed-in user
    failed_submit: bool = False  # press "Submit application" on an empty form first


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _user(email: str, **fields) -> User:
    user = User.objects.create_user(username=email, email=email, password=PASSWORD, **fields)
    EmailVerification.mark_verified(user)
    return user


def _submitted(call, email: str, courses) -> Application:
    application = Application.objects.create(
        call=call,
        applicant=_user(email),
        institution="Harvard",
        program="graduate",
        statement="I want to learn why deep learning generalizes.",
        pset0_theory=_pdf("t.pdf"),
        pset0_programming=_pdf("p.pdf"),
    )
    application.set_courses(courses)
    application.submit()
    return application


@pytest.fixture
def portal_pages(settings, tmp_path) -> list[PortalPage]:
    """The demo offering plus the people who see the signed-in pages: an applicant admitted to
    CS 229br (status page), one who has not started (empty form), and staff (review pages)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    offering = load_demo()
    call = offering.application_call
    cs229br = Course.objects.get(slug="cs229br")
    mit18408 = Course.objects.get(slug="18408")
    admitted = _submitted(call, "ada@college.harvard.edu", [cs229br, mit18408])
    CourseApplication.objects.get(application=admitted, course=cs229br).decide("admitted")
    _submitted(call, "grace@mit.edu", [cs229br])
    _user("new@mit.edu")
    staff = _user("staff@harvard.edu", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="admissions",
            codename__in=["view_application", "view_courseapplication", "decide"],
        )
    )
    pset0 = cs229br.assignments.get(title="Problem set 0")
    talk = Talk.objects.order_by("starts_at").first()
    return [
        PortalPage("home", "/"),
        PortalPage("course-cs229br", cs229br.get_absolute_url()),
        PortalPage("course-18408", mit18408.get_absolute_url()),
        PortalPage("problem-set-0", f"{cs229br.get_absolute_url()}assignments/{pset0.pk}/"),
        PortalPage("seminars", "/seminars/"),
        PortalPage("talk", talk.get_absolute_url()),
        PortalPage("subscribe", "/seminars/subscribe/"),
        PortalPage("sign-up", "/accounts/signup/"),
        PortalPage("sign-in", "/accounts/login/"),
        PortalPage("apply", "/apply/"),
        PortalPage("application-form", "/apply/form/", user="new@mit.edu"),
        PortalPage(
            "application-form-failed", "/apply/form/", user="new@mit.edu", failed_submit=True
        ),
        PortalPage("status", "/apply/status/", user="ada@college.harvard.edu"),
        PortalPage("review-index", "/apply/review/", user="staff@harvard.edu"),
        PortalPage(
            "review-course", f"/apply/review/course/{cs229br.pk}/", user="staff@harvard.edu"
        ),
    ]


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    chosen = os.environ.get("MLT_TEST_ARTIFACTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Visitor:
    """One browser context per signed-in user (session cookie from Django's test client), with
    every CSP violation and console error the pages report collected."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base = base_url
        self.contexts = {}
        self.csp_violations: list[str] = []
        self.console_errors: list[str] = []

    def page_for(self, user: str | None, width: int = 1280):
        if user not in self.contexts:
            context = self.browser.new_context(
                timezone_id="Europe/Berlin",
                locale="en-US",
                viewport={"width": width, "height": 900},
            )
            if user:
                client = Client()
                client.force_login(User.objects.get(email=user))
                cookie = client.cookies["sessionid"]
                context.add_cookies(
                    [{"name": "sessionid", "value": cookie.value, "url": self.base}]
                )
            page = context.new_page()
            page.set_default_timeout(15_000)
            # securitypolicyviolation events, recorded by a script the page itself does not run.
            context.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => "
                "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
            )
            page.on("console", self._on_console)
            self.contexts[user] = (context, page)
        context, page = self.contexts[user]
        page.set_viewport_size({"width": width, "height": 900})
        return page

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
            if "Content Security Policy" in message.text or "CSP violation" in message.text:
                self.csp_violations.append(message.text)

    def open(self, portal_page: PortalPage, width: int = 1280):
        page = self.page_for(portal_page.user, width)
        response = page.goto(self.base + portal_page.path)
        if portal_page.failed_submit:
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.get_by_role("button", name="Submit application").click()
            response = posted.value
            page.wait_for_load_state()
            assert page.locator("[aria-invalid=true]").count() > 0  # the errors are shown
        else:
            assert response.status == 200, (portal_page.name, response.status)
        self.last_html = response.text()  # the HTML as served, before the browser fixes it up
        # Deferred scripts (the times in the viewer's zone) have run by "complete".
        page.wait_for_function("() => document.readyState === 'complete'")
        return page

    def close(self) -> None:
        for context, _ in self.contexts.values():
            context.close()


@pytest.fixture
def visitor(chromium_browser, live_server):
    v = Visitor(chromium_browser, live_server.url)
    yield v
    v.close()


def _html_parse_errors(html: str) -> list[str]:
    """Parse errors by the WHATWG parsing algorithm (html5lib). Strict mode raises at the first
    error; then a lenient parse lists them all for the failure message."""
    try:
        html5lib.HTMLParser(strict=True).parse(html)
    except html5lib.html5parser.ParseError:
        parser = html5lib.HTMLParser(strict=False)
        parser.parse(html)
        return [f"line {line}:{col} {code} {data}" for (line, col), code, data in parser.errors]
    return []


def test_every_main_page_passes_axe_wcag21_aa(visitor, portal_pages):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    report = {}
    for portal_page in portal_pages:
        page = visitor.open(portal_page)
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        violations = results.response["violations"]
        report[portal_page.name] = [
            f"{v['id']} ({v['impact']}; {','.join(v['tags'])}): "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in violations
        ]
        # A rule that did not run cannot pass: axe checked WCAG rules on every page.
        passed = [r for r in results.response["passes"] if set(r["tags"]) & set(WCAG_21_AA)]
        assert passed, portal_page.name
        print(
            f"axe {portal_page.name}: {len(violations)} violations, {len(passed)} WCAG rules pass"
        )
    failing = {name: found for name, found in report.items() if found}
    assert not failing, failing


def test_no_page_reports_a_content_security_policy_violation(visitor, portal_pages):
    for portal_page in portal_pages:
        page = visitor.open(portal_page)
        # Use what has script: the time-zone choice re-renders the times.
        page.select_option("#viewer-tz", "Asia/Tokyo")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.both-times')].every(e => e.dataset.zone"
            " === 'Asia/Tokyo')"
        )
    assert visitor.csp_violations == []
    # No other error either (a missing favicon or stylesheet would show here).
    assert visitor.console_errors == []


def test_the_policy_is_strict_and_the_browser_blocks_inline_script(visitor, portal_pages):
    home = visitor.open(portal_pages[0])
    response = home.request.get(visitor.base + "/")
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy
    # The browser enforces it: an injected inline script does not run, and is reported.
    home.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
        " document.body.appendChild(s); }"
    )
    home.wait_for_timeout(200)  # lets the violation event arrive; not a timing assertion
    assert home.evaluate("() => window.pwned") is None
    assert any("script-src" in v for v in visitor.csp_violations)


def test_every_page_is_valid_html_with_distinct_titles(visitor, portal_pages):
    titles = {}
    for portal_page in portal_pages:
        page = visitor.open(portal_page)
        html = visitor.last_html
        errors = _html_parse_errors(html)
        assert not errors, (portal_page.name, errors[:5])
        # What a parser accepts but the standard does not.
        assert not re.search(r'datetime="[^"]*\.\d', html), portal_page.name  # no microseconds
        assert page.locator("span form, p form").count() == 0, portal_page.name
        assert page.locator("label[for='']").count() == 0, portal_page.name
        for ref in page.locator("[aria-describedby]").evaluate_all(
            "els => els.flatMap(e => e.getAttribute('aria-describedby').split(/\\s+/))"
        ):
            assert page.locator(f"[id='{ref}']").count() == 1, (portal_page.name, ref)
        assert page.locator("body > header").count() == 1, portal_page.name
        assert page.locator("main#main").count() == 1, portal_page.name
        assert page.locator(".messages:not(main .messages)").count() == 0, portal_page.name
        titles[portal_page.name] = page.title()
    # The form after a failed submit is the form again; every other page has its own title.
    assert titles.pop("application-form-failed") == titles["application-form"]
    assert len(set(titles.values())) == len(titles), titles


def test_pages_reflow_without_sideways_scroll(visitor, portal_pages, artifacts_dir):
    shots = artifacts_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    too_wide = {}
    for width in WIDTHS:
        for portal_page in portal_pages:
            page = visitor.open(portal_page, width=width)
            scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide[f"{portal_page.name}@{width}"] = scroll_width
            page.screenshot(path=shots / f"{portal_page.name}-{width}.png", full_page=True)
    assert not too_wide, too_wide
    assert (shots / "home-320.png").stat().st_size > 0


def test_keyboard_alone_reaches_every_control_of_the_application_form(visitor, portal_pages):
    form_page = next(p for p in portal_pages if p.name == "application-form")
    page = visitor.open(form_page)
    # The skip link comes first and moves focus into <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth") == "3px"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'main'")

    controls = page.locator("form.application-form").locator(
        "input:not([type=hidden]), select, textarea, button"
    )
    expected = set(controls.evaluate_all("els => els.map(e => e.id || e.name + '=' + e.value)"))
    seen = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const e = document.activeElement;
              const style = getComputedStyle(e);
              return {
                key: e.id || e.name + '=' + e.value,
                inForm: !!e.closest('form.application-form'),
                outline: parseFloat(style.outlineWidth) || 0,
                outlineStyle: style.outlineStyle,
                tag: e.tagName,
                type: e.type,
              };
            }"""
        )
        if not focused["inForm"]:
            if seen:
                break
            continue
        # Focus is visible: at least a 2 px outline on every control.
        assert focused["outline"] >= 2 and focused["outlineStyle"] != "none", focused
        seen.add(focused["key"])
        if focused["type"] == "radio":
            # Arrow keys move within a radio group; Tab leaves it. Visit the others by arrow.
            group = page.evaluate("() => document.activeElement.name")
            count = page.locator(f"form.application-form input[name={group}]").count()
            for _ in range(count - 1):
                page.keyboard.press("ArrowDown")
                seen.add(page.evaluate("() => document.activeElement.id"))
    assert expected <= seen, expected - seen
    # Every control has an accessible name (axe checks it too; here through the a11y tree).
    for i in range(controls.count()):
        control = controls.nth(i)
        name = control.evaluate(
            "e => (e.labels && e.labels.length ? e.labels[0].innerText : '') "
            "|| e.getAttribute('aria-label') || e.innerText || ''"
        )
        assert name.strip(), control.evaluate("e => e.outerHTML")


def test_declining_a_place_takes_a_confirmation_step(visitor, portal_pages):
    status_page = next(p for p in portal_pages if p.name == "status")
    page = visitor.open(status_page)
    row = page.locator("tr[data-course='CS 229br']")
    confirm = row.get_by_role("button", name="Yes, decline my place in CS 229br")
    assert not confirm.is_visible()  # one click on the page cannot decline
    row.get_by_text("Decline my place in CS 229br…").click()
    assert confirm.is_visible()
    assert "next student on the waitlist" in row.inner_text()
    with page.expect_navigation():
        confirm.click()
    assert (
        CourseApplication.objects.get(
            application__applicant__email="ada@college.harvard.edu", course__slug="cs229br"
        ).state
        == CourseApplication.State.DECLINED
    )


def test_the_lecture_plan_prints_without_the_site_chrome(visitor, portal_pages, artifacts_dir):
    course = next(p for p in portal_pages if p.name == "course-18408")
    page = visitor.open(course)
    assert page.locator(".site-nav").is_visible() and page.locator(".calendar").is_visible()
    page.emulate_media(media="print")
    for chrome in (".site-nav", ".site-footer", ".calendar", ".skip-link"):
        assert not page.locator(chrome).is_visible(), chrome
    assert page.locator("table.lectures").is_visible()
    assert page.locator("table.lectures tbody tr").count() == 9
    assert page.locator("h1").is_visible()
    page.pdf(path=artifacts_dir / "lecture-plan-18408.pdf")
    assert (artifacts_dir / "lecture-plan-18408.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_admin_works_under_the_same_policy(visitor, portal_pages):
    """Staff work in Django's admin, which the CSP covers too: its pages (with the date
    widgets' script) report no violation."""
    User.objects.create_superuser("admin@harvard.edu", "admin@harvard.edu", PASSWORD)
    for path in ("/admin/", "/admin/courses/lecture/", "/admin/courses/lecture/add/"):
        page = visitor.open(PortalPage("admin", path, user="admin@harvard.edu"))
        assert page.locator("#content").is_visible()
    page.get_by_role("link", name="Today").first.click()  # DateTimeShortcuts' script ran
    assert page.locator("input[name=starts_at_0]").input_value() != ""
    assert visitor.csp_violations == []
