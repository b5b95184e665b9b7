"""Applications and admissions under per-course capacity.

One ``ApplicationCall`` per offering sets the dates. An applicant has one ``Application`` per call
(to one or both courses); each course applied to is a ``CourseApplication`` carrying that
course's decision, so the two courses decide independently. Decisions go through
:meth:`CourseApplication.decide` and :meth:`CourseApplication.respond`, which lock the course row
so that its capacity is never exceeded, however many staff click at once. Each decision queues
the applicant's email in the portal's outbox (``OutgoingEmail``) in the same transaction; the
``send_outbox`` worker sends it, never the staff member's request.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from mltheory.portal.courses.models import Course, Enrollment, Offering
from mltheory.portal.mail.models import OutgoingEmail
from mltheory.portal.uploads import delete_after_commit, replaced_files

from .emails import decision_email


class ApplicationCall(models.Model):
    """The call for applications of one offering: its dates."""

    offering = models.OneToOneField(
        Offering, on_delete=models.CASCADE, related_name="application_call"
    )
    full_consideration_at = models.DateTimeField(
        help_text="Applications submitted before this get full consideration and stay editable "
        "until it; later ones are accepted but marked late."
    )
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Optional hard close: no submissions after it."
    )

    class Meta:
        ordering = ["-full_consideration_at"]

    def __str__(self) -> str:
        return f"Call for {self.offering}"

    def is_open(self, now: datetime | None = None) -> bool:
        """Whether applications may still be submitted (late ones included)."""
        now = now or timezone.now()
        return self.closes_at is None or now < self.closes_at

    def is_late(self, now: datetime | None = None) -> bool:
        """Whether a submission made ``now`` misses the full-consideration date."""
        return (now or timezone.now()) >= self.full_consideration_at


def current_call() -> ApplicationCall | None:
    """The call of the current offering (``Offering.is_current``), or None."""
    return (
        ApplicationCall.objects.filter(offering__is_current=True)
        .select_related("offering")
        .order_by("-full_consideration_at")
        .first()
    )


class Institution(models.TextChoices):
    # Matched by name against Course.institution, whose institution_domains decide eligibility.
    HARVARD = "Harvard", "Harvard"
    MIT = "MIT", "MIT"


class Program(models.TextChoices):
    GRADUATE = "graduate", "Graduate student"
    UNDERGRADUATE = "undergraduate", "Undergraduate student"


class PrerequisiteCourse(models.TextChoices):
    """The prerequisite courses the call names; others go in the free-text note."""

    CS121 = "CS 121", "Harvard CS 121 (theory)"
    CS124 = "CS 124", "Harvard CS 124 (theory)"
    MIT6046 = "6.046", "MIT 6.046 (theory)"
    CS181 = "CS 181", "Harvard CS 181 (machine learning)"
    CS183 = "CS 183", "Harvard CS 183 (machine learning)"
    MIT6036 = "6.036", "MIT 6.036 (machine learning)"


def _random_upload_path(instance: Application, kind: str) -> str:
    # The applicant's file name is never used: a random directory per file keeps names
    # unguessable and free of anything the client chose.
    return f"applications/call-{instance.call_id}/{secrets.token_hex(16)}/{kind}.pdf"


def upload_pset0_theory(instance: Application, filename: str) -> str:
    return _random_upload_path(instance, "pset0-theory")


def upload_pset0_programming(instance: Application, filename: str) -> str:
    return _random_upload_path(instance, "pset0-programming")


class Application(models.Model):
    """One applicant's application to one or both courses of a call."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    call = models.ForeignKey(ApplicationCall, on_delete=models.CASCADE, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="applications"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    preferred_course = models.ForeignKey(
        Course,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="When applying to both: the one the applicant prefers.",
    )
    institution = models.CharField(max_length=20, choices=Institution.choices, blank=True)
    program = models.CharField(max_length=20, choices=Program.choices, blank=True)
    prerequisites_taken = models.JSONField(default=list, blank=True)
    prerequisites_note = models.TextField(
        blank=True, help_text="Other or equivalent courses, and anything staff should know."
    )
    statement = models.TextField(blank=True)
    pset0_theory = models.FileField(upload_to=upload_pset0_theory, blank=True, max_length=200)
    pset0_programming = models.FileField(
        upload_to=upload_pset0_programming, blank=True, max_length=200
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(
        default=False, help_text="Submitted after the full-consideration date."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("call", "applicant")]
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.applicant.email or self.applicant.username} ({self.call.offering})"

    FILE_FIELDS = {"pset0-theory": "pset0_theory", "pset0-programming": "pset0_programming"}
    # Names _random_upload_path gives each field's uploads: only these are deleted on replace.
    OWN_FILE_NAMES = {
        field: re.compile(rf"applications/call-\d+/[0-9a-f]{{32}}/{kind}\.pdf")
        for kind, field in FILE_FIELDS.items()
    }

    def save(self, *args, **kwargs):
        replaced = replaced_files(self, self.OWN_FILE_NAMES, kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        delete_after_commit(replaced)

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def courses(self):
        return Course.objects.filter(course_applications__application=self).order_by("code")

    def is_editable(self, now: datetime | None = None) -> bool:
        """Drafts are editable while the call is open; submitted applications only until the
        full-consideration date (after it staff review them as they stand)."""
        now = now or timezone.now()
        if not self.call.is_open(now):
            return False
        if self.is_submitted:
            return not self.is_late and now < self.call.full_consideration_at
        return True

    def set_courses(self, courses) -> None:
        """Apply to exactly ``courses``; a course already decided is never dropped."""
        wanted = {c.pk for c in courses}
        existing = {ca.course_id: ca for ca in self.course_applications.all()}
        for course_id, ca in existing.items():
            if course_id not in wanted and ca.state == CourseApplication.State.PENDING:
                ca.delete()
        for course_id in wanted - existing.keys():
            CourseApplication.objects.create(application=self, course_id=course_id)

    def submit(self, now: datetime | None = None) -> None:
        """Mark submitted (first time only; later edits keep the original time and lateness)."""
        if self.is_submitted:
            return
        now = now or timezone.now()
        self.status = self.Status.SUBMITTED
        self.submitted_at = now
        self.is_late = self.call.is_late(now)
        self.save(update_fields=["status", "submitted_at", "is_late", "updated"])

    def institution_domains(self) -> list[str]:
        """Email domains of the stated institution, from the offering's courses."""
        return domains_by_institution(self.call.offering).get(self.institution.lower(), [])

    def email_matches_institution(self) -> bool | None:
        """Whether the applicant's verified email is at the stated institution (subdomains
        count: college.harvard.edu is harvard.edu). None when it cannot be told: no verified
        email or no domains configured for the institution."""
        from mltheory.portal.accounts.models import EmailVerification

        return email_matches_domains(
            self.applicant.email,
            EmailVerification.is_verified(self.applicant),
            self.institution_domains(),
        )


def domains_by_institution(offering) -> dict[str, list[str]]:
    """Each institution's email domains (lower-case name → domains), from the offering's
    courses, in one query: the review page and export ask it once, not once per row."""
    domains: dict[str, list[str]] = {}
    for institution, raw in offering.courses.values_list("institution", "institution_domains"):
        domains.setdefault(institution.lower(), []).extend(
            d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()
        )
    return domains


def email_matches_domains(email: str, verified: bool, domains: list[str]) -> bool | None:
    """See :meth:`Application.email_matches_institution`."""
    if not verified or not domains:
        return None
    email_domain = email.rsplit("@", 1)[-1].lower()
    return any(email_domain == d or email_domain.endswith("." + d) for d in domains)


class CapacityReached(Exception):
    """Admitting would exceed the course's capacity."""


class InvalidDecision(Exception):
    """The decision or response does not apply to the application's current state."""


class CourseApplication(models.Model):
    """An application's standing for one course: the course's decision and the reply to it."""

    class State(models.TextChoices):
        PENDING = "pending", "Under review"
        ADMITTED = "admitted", "Admitted (awaiting reply)"
        ACCEPTED = "accepted", "Admitted and accepted"
        DECLINED = "declined", "Admitted and declined"
        WAITLISTED = "waitlisted", "Waitlisted"
        REJECTED = "rejected", "Not admitted"

    # States that hold one of the course's slots.
    SEAT_STATES = (State.ADMITTED, State.ACCEPTED)
    # What staff may decide, and from which states: replies (accepted/declined) are the applicant's.
    STAFF_DECISIONS = (State.ADMITTED, State.WAITLISTED, State.REJECTED)
    DECIDABLE_FROM = (State.PENDING, State.ADMITTED, State.WAITLISTED, State.REJECTED)

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="course_applications"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="course_applications")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waitlisted_at = models.DateTimeField(
        null=True, blank=True, help_text="Waitlist order: the earliest is promoted first."
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        unique_together = [("application", "course")]
        ordering = ["course", "application__submitted_at", "pk"]
        permissions = [("decide", "Can admit, waitlist or reject applicants")]

    def __str__(self) -> str:
        return f"{self.application.applicant} → {self.course.code}: {self.get_state_display()}"

    @staticmethod
    def seats_taken(course: Course) -> int:
        return CourseApplication.objects.filter(
            course=course, state__in=CourseApplication.SEAT_STATES
        ).count()

    @staticmethod
    def _lock_course(course_id: int) -> Course:
        # Every decision that can take or free a slot locks the course row first, so decisions
        # on one course run one at a time and each sees the others' committed results.
        return Course.objects.select_for_update().get(pk=course_id)

    def decide(self, decision: str, by=None) -> None:
        """Admit, waitlist or reject. Raises :class:`CapacityReached` if admitting would exceed
        the course's capacity, :class:`InvalidDecision` if the state does not allow it."""
        if decision not in self.STAFF_DECISIONS:
            raise InvalidDecision(f"{decision!r} is not a staff decision")
        with transaction.atomic():
            course = self._lock_course(self.course_id)
            current = CourseApplication.objects.select_for_update().get(pk=self.pk)
            if current.state not in self.DECIDABLE_FROM:
                raise InvalidDecision(
                    f"{current.application.applicant} has already "
                    f"{current.get_state_display().lower()} for {course.code}."
                )
            if current.application.status != Application.Status.SUBMITTED:
                raise InvalidDecision("Only submitted applications can be decided.")
            if current.state == decision:
                self.refresh_from_db()
                return
            if decision == self.State.ADMITTED:
                taken = self.seats_taken(course)
                if taken >= course.capacity:
                    raise CapacityReached(
                        f"{course.code} is full: {taken} of {course.capacity} places are taken. "
                        "Waitlist the applicant instead, or free a place first."
                    )
            now = timezone.now()
            current.state = decision
            current.decided_at = now
            current.decided_by = by
            current.waitlisted_at = now if decision == self.State.WAITLISTED else None
            current.save()
            current.queue_decision_email()
        self.refresh_from_db()

    def respond(self, accept: bool) -> CourseApplication | None:
        """The admitted applicant accepts (enrolling them) or declines (promoting the next on the
        waitlist, which is returned)."""
        promoted = None
        with transaction.atomic():
            course = self._lock_course(self.course_id)
            current = CourseApplication.objects.select_for_update().get(pk=self.pk)
            if current.state != self.State.ADMITTED:
                raise InvalidDecision(
                    f"Only an admission awaiting a reply can be accepted or declined "
                    f"(this one is: {current.get_state_display().lower()})."
                )
            current.responded_at = timezone.now()
            if accept:
                current.state = self.State.ACCEPTED
                current.save()
                Enrollment.objects.get_or_create(user=current.application.applicant, course=course)
            else:
                current.state = self.State.DECLINED
                current.save()
                promoted = self._promote_next_waitlisted(course)
        self.refresh_from_db()
        return promoted

    @classmethod
    def _promote_next_waitlisted(cls, course: Course) -> CourseApplication | None:
        """Admit the longest-waitlisted applicant if a place is free (course row already locked)."""
        if cls.seats_taken(course) >= course.capacity:
            return None
        nxt = (
            cls.objects.select_for_update()
            .filter(course=course, state=cls.State.WAITLISTED)
            .order_by("waitlisted_at", "pk")
            .first()
        )
        if nxt is None:
            return None
        nxt.state = cls.State.ADMITTED
        nxt.decided_at = timezone.now()
        nxt.decided_by = None
        nxt.waitlisted_at = None
        nxt.save()
        nxt.queue_decision_email(promoted=True)
        return nxt

    def queue_decision_email(self, promoted: bool = False) -> OutgoingEmail:
        """Queue the email announcing this row's current state to the applicant.

        Called inside the decision's transaction: the row commits with the decision or not at
        all, and the outbox worker retries it while the mail server is down, so a decision is
        never saved without its email, nor an email queued for a decision that rolled back.
        """
        # A newer decision supersedes an older one's email still waiting, so the applicant
        # never gets an outdated decision after the current one. The subject names the course
        # and offering, so with the address it names this row.
        return OutgoingEmail.objects.enqueue_replacing(
            decision_email(self, promoted=promoted),
            kind=OutgoingEmail.Kind.DECISION,
            reason="superseded by a newer decision",
        )

    def average_score(self) -> float | None:
        scores = [r.score for r in self.reviews.all()]
        return sum(scores) / len(scores) if scores else None


class Review(models.Model):
    """One reviewer's score and notes on an application for one course."""

    course_application = models.ForeignKey(
        CourseApplication, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admission_reviews"
    )
    score = models.PositiveSmallIntegerField(
        choices=[(i, str(i)) for i in range(1, 6)], help_text="1 (weak) to 5 (outstanding)."
    )
    notes = models.TextField(blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("course_application", "reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer}: {self.score} for {self.course_application}"
