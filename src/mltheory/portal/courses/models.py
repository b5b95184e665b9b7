"""Courses: an offering (e.g. Spring 2021) holds sister courses that share lectures.

Every moment is stored in UTC. A course's weekly meeting time is kept as the wall-clock time
in the courses' own zone (``settings.COURSE_TIME_ZONE``, Eastern), because that is what stays
fixed across daylight-saving changes; :meth:`Course.meeting_on` turns it into UTC.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from datetime import timezone as datetime_timezone
from pathlib import PurePath
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from mltheory.portal.uploads import delete_after_commit, replaced_files, validate_pdf

from .slide_files import validate_slides


def course_zone() -> ZoneInfo:
    return ZoneInfo(settings.COURSE_TIME_ZONE)


def _private_name(folder: str, filename: str) -> str:
    # Random stored names: no clashes between students, and no guessable paths.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def _own_name(folder: str) -> re.Pattern:
    """The names :func:`_private_name` gives in ``folder``: only these are deleted on replace."""
    return re.compile(rf"{folder}/[0-9a-f]{{32}}(\.[^/]{{0,9}})?")


def slides_upload_to(instance, filename: str) -> str:
    return _private_name("slides", filename)


def assignment_upload_to(instance, filename: str) -> str:
    return _private_name("assignments", filename)


def submission_upload_to(instance, filename: str) -> str:
    return _private_name(f"submissions/{instance.assignment_id}", filename)


def split_experiments(text: str) -> list[str]:
    return [name.strip() for name in text.replace("\n", ",").split(",") if name.strip()]


class OfferingQuerySet(models.QuerySet):
    def current(self) -> Offering | None:
        """The offering marked current, else the most recently created one."""
        return self.filter(is_current=True).order_by("-pk").first() or self.order_by("-pk").first()


class Offering(models.Model):
    """One term in which the sister courses run together (e.g. Spring 2021)."""

    name = models.CharField(max_length=100, help_text="e.g. Spring 2021")
    slug = models.SlugField(unique=True)
    is_current = models.BooleanField(default=False)

    objects = OfferingQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Course(models.Model):
    """One course of an offering (e.g. Harvard CS 229br). Its sister courses share the offering."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField(max_length=40, help_text="e.g. CS 229br")
    slug = models.SlugField(help_text="URL name, e.g. cs229br")
    title = models.CharField(max_length=200)
    institution = models.CharField(max_length=100, help_text="e.g. Harvard")
    # Email domains that count as this institution for eligibility (comma-separated).
    institution_domains = models.CharField(max_length=200, blank=True, help_text="e.g. harvard.edu")
    instructor = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    prerequisites = models.TextField(blank=True)
    capacity = models.PositiveIntegerField(help_text="Admitted students can never exceed this.")
    meeting_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, null=True, blank=True, help_text="Day of the weekly meeting."
    )
    meeting_start = models.TimeField(
        null=True, blank=True, help_text="Start of the weekly meeting, in Eastern time."
    )
    meeting_end = models.TimeField(
        null=True, blank=True, help_text="End of the weekly meeting, in Eastern time."
    )
    first_lecture_date = models.DateField(null=True, blank=True)

    class Meta:
        unique_together = [("offering", "slug")]
        ordering = ["offering", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.offering})"

    def clean(self) -> None:
        meeting = (self.meeting_weekday, self.meeting_start, self.meeting_end)
        if any(v is not None for v in meeting) and any(v is None for v in meeting):
            raise ValidationError("Give the meeting's weekday, start and end together (or none).")
        if self.meeting_start and self.meeting_end and self.meeting_end <= self.meeting_start:
            raise ValidationError({"meeting_end": "The meeting must end after it starts."})
        if (
            self.first_lecture_date
            and self.meeting_weekday is not None
            and self.first_lecture_date.weekday() != self.meeting_weekday
        ):
            raise ValidationError(
                {
                    "first_lecture_date": (
                        f"{self.first_lecture_date:%A %Y-%m-%d} is not a "
                        f"{self.get_meeting_weekday_display()}, the course's meeting day."
                    )
                }
            )

    def get_absolute_url(self) -> str:
        return reverse("courses:course", args=[self.offering.slug, self.slug])

    def sister_courses(self):
        return self.offering.courses.exclude(pk=self.pk)

    def meeting_on(self, day: date) -> tuple[datetime, datetime]:
        """The meeting on ``day`` as (start, end) in UTC, from the Eastern wall-clock times."""
        if self.meeting_start is None or self.meeting_end is None:
            raise ValueError(f"{self.code} has no meeting time")
        zone = course_zone()
        start = datetime.combine(day, self.meeting_start, tzinfo=zone)
        end = datetime.combine(day, self.meeting_end, tzinfo=zone)
        return start.astimezone(datetime_timezone.utc), end.astimezone(datetime_timezone.utc)

    @property
    def first_meeting(self) -> tuple[datetime, datetime] | None:
        """The first lecture's (start, end) in UTC, or None when the schedule is not set."""
        if self.first_lecture_date is None or self.meeting_start is None:
            return None
        return self.meeting_on(self.first_lecture_date)

    @property
    def meeting_summary(self) -> str:
        """e.g. "Mondays 12:00–15:00 Eastern"."""
        if self.meeting_weekday is None:
            return ""
        return (
            f"{self.get_meeting_weekday_display()}s "
            f"{self.meeting_start:%H:%M}–{self.meeting_end:%H:%M} Eastern"
        )

    def is_enrolled(self, user) -> bool:
        return user.is_authenticated and self.enrollments.filter(user=user).exists()


class Enrollment(models.Model):
    """A student enrolled in a course. Admissions creates it when an admitted applicant accepts."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("user", "course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course.code}"


def check_same_offering(courses) -> None:
    """Shared lectures and assignments may span sister courses, never two offerings."""
    offerings = {c.offering_id for c in courses}
    if len(offerings) > 1:
        raise ValidationError("A shared item's courses must all belong to the same offering.")


class Lecture(models.Model):
    """One lecture. Shared by sister courses when it lists more than one course."""

    courses = models.ManyToManyField(Course, related_name="lectures")
    starts_at = models.DateTimeField(help_text="Stored in UTC; entered in the site's zone.")
    ends_at = models.DateTimeField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    slides = models.FileField(
        upload_to=slides_upload_to,
        blank=True,
        validators=[validate_slides],
        help_text="PDF or PowerPoint (.pptx, .ppt).",
    )
    slides_url = models.URLField(blank=True, help_text="Link to slides hosted elsewhere.")
    notes_url = models.URLField(blank=True)
    video_url = models.URLField(blank=True)
    experiments = models.CharField(
        max_length=300,
        blank=True,
        help_text="Lab experiments that reproduce this lecture's results (comma-separated "
        "names for `mlt run`).",
    )

    OWN_FILE_NAMES = {"slides": _own_name("slides")}

    def save(self, *args, **kwargs):
        replaced = replaced_files(self, self.OWN_FILE_NAMES, kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        delete_after_commit(replaced)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d} {self.title}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The lecture must end after it starts."})

    @property
    def experiment_names(self) -> list[str]:
        return split_experiments(self.experiments)

    @property
    def slides_link(self) -> str:
        """Where the slides are: the uploaded file's download view, else the external link."""
        if self.slides:
            return reverse("courses:lecture_slides", args=[self.pk])
        return self.slides_url

    def is_shared(self) -> bool:
        return self.courses.count() > 1


class AssignmentQuerySet(models.QuerySet):
    def released(self, now: datetime | None = None):
        return self.filter(released_at__lte=now or timezone.now())


class Assignment(models.Model):
    """A problem set for one course, or shared by sister courses."""

    courses = models.ManyToManyField(Course, related_name="assignments")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    released_at = models.DateTimeField(help_text="Students see it from this moment (UTC).")
    due_at = models.DateTimeField(help_text="Solutions are refused after this moment (UTC).")
    pdf = models.FileField(
        upload_to=assignment_upload_to, blank=True, validators=[validate_pdf], verbose_name="PDF"
    )
    url = models.URLField(blank=True, verbose_name="link", help_text="e.g. a page of lab material.")
    experiments = models.CharField(
        max_length=300,
        blank=True,
        help_text="Lab experiments to run for the programming part (comma-separated names, "
        "e.g. min-norm for `mlt run min-norm`).",
    )

    objects = AssignmentQuerySet.as_manager()

    OWN_FILE_NAMES = {"pdf": _own_name("assignments")}

    def save(self, *args, **kwargs):
        replaced = replaced_files(self, self.OWN_FILE_NAMES, kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        delete_after_commit(replaced)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.released_at and self.due_at and self.due_at <= self.released_at:
            raise ValidationError({"due_at": "The due date must come after the release date."})
        if not (self.pdf or self.url or self.experiments.strip()):
            raise ValidationError(
                "Give the assignment a PDF, a link or lab experiments, so students can do it."
            )

    @property
    def experiment_names(self) -> list[str]:
        return split_experiments(self.experiments)

    def is_released(self, now: datetime | None = None) -> bool:
        return self.released_at <= (now or timezone.now())

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) <= self.due_at

    def student_may_submit(self, user) -> bool:
        """Students enrolled in any of the assignment's courses hand in solutions."""
        return (
            user.is_authenticated
            and Enrollment.objects.filter(user=user, course__in=self.courses.all()).exists()
        )

    def may_view(self, user, now: datetime | None = None) -> bool:
        return self.is_released(now) or user.has_perm("courses.view_assignment")

    def submit(self, user, file, now: datetime | None = None) -> Submission:
        """Record ``user``'s solution, or raise ValidationError saying why it is refused."""
        now = now or timezone.now()
        if not self.student_may_submit(user):
            raise ValidationError(
                "Only students enrolled in "
                + " or ".join(c.code for c in self.courses.all())
                + " can hand in solutions."
            )
        if not self.is_released(now):
            raise ValidationError("This assignment has not been released yet.")
        if not self.is_open(now):
            due = self.due_at.astimezone(course_zone())
            raise ValidationError(
                f"The due date has passed ({due:%a %b %-d, %Y, %-I:%M %p %Z}); "
                "solutions are no longer accepted."
            )
        submission = Submission(assignment=self, student=user, file=file)
        submission.full_clean()
        submission.save()
        return submission


class Submission(models.Model):
    """A student's solution (PDF) to an assignment. Later submissions do not replace earlier
    ones; the list shows them all and the latest counts."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="submissions")
    file = models.FileField(upload_to=submission_upload_to, validators=[validate_pdf])
    original_name = models.CharField(max_length=255, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.student} — {self.assignment} ({self.original_name})"

    def save(self, *args, **kwargs):
        if not self.original_name and self.file:
            self.original_name = PurePath(self.file.name).name[:255]
        super().save(*args, **kwargs)

    def may_download(self, user) -> bool:
        """The student who submitted it, or staff allowed to view submissions."""
        if not user.is_authenticated:
            return False
        if user.pk == self.student_id:
            return True
        return user.is_staff and user.has_perm("courses.view_submission")

    def get_download_url(self) -> str:
        return reverse("courses:submission_file", args=[self.pk])
