"""Staff tools for courses: the Django admin, behind Django's model permissions."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from .models import (
    Assignment,
    Course,
    Enrollment,
    Lecture,
    Offering,
    Submission,
    check_same_offering,
)


class PrivateFileInput(forms.ClearableFileInput):
    """Uploaded files have no public URL (MEDIA_URL is unset: every download goes through a
    permission-checked view), so the stock widget's "Currently: <link>" would fail. This one
    names the current file; the change page links to the download view instead."""

    template_name = "courses/widgets/private_file_input.html"

    def is_initial(self, value) -> bool:
        return bool(value and getattr(value, "name", None))


FORMFIELD_OVERRIDES = {
    models.FileField: {"widget": PrivateFileInput},
    # Links typed without a scheme are taken as https (Django 6's default, chosen now).
    models.URLField: {"assume_scheme": "https"},
}


class SharedAcrossCoursesForm(forms.ModelForm):
    """Lectures and assignments may be shared by sister courses of one offering, not across
    offerings; the model cannot check a many-to-many before it is saved, so the form does."""

    def clean(self):
        cleaned = super().clean()
        courses = cleaned.get("courses")
        if courses:
            try:
                check_same_offering(courses)
            except forms.ValidationError as error:
                self.add_error("courses", error)
        return cleaned


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0
    fields = ["code", "slug", "title", "institution", "instructor", "capacity"]
    show_change_link = True


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_current"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CourseInline]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "offering", "instructor", "meeting_summary", "capacity"]
    list_filter = ["offering"]
    search_fields = ["code", "title", "instructor"]
    fieldsets = [
        (None, {"fields": ["offering", "code", "slug", "title", "institution", "instructor"]}),
        ("Description", {"fields": ["description", "prerequisites"]}),
        ("Admissions", {"fields": ["capacity", "institution_domains"]}),
        (
            "Meetings (Eastern time)",
            {"fields": ["meeting_weekday", "meeting_start", "meeting_end", "first_lecture_date"]},
        ),
    ]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "created"]
    list_filter = ["course"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(Lecture)
class LectureAdmin(admin.ModelAdmin):
    form = SharedAcrossCoursesForm
    list_display = ["title", "starts_at", "course_codes"]
    list_filter = ["courses"]
    search_fields = ["title", "description"]
    filter_horizontal = ["courses"]
    date_hierarchy = "starts_at"
    formfield_overrides = FORMFIELD_OVERRIDES

    @admin.display(description="courses")
    def course_codes(self, lecture: Lecture) -> str:
        return ", ".join(c.code for c in lecture.courses.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("courses")


class SubmissionInline(admin.TabularInline):
    model = Submission
    extra = 0
    fields = ["student", "original_name", "submitted_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = SharedAcrossCoursesForm
    list_display = ["title", "released_at", "due_at", "submission_count"]
    list_filter = ["courses"]
    filter_horizontal = ["courses"]
    inlines = [SubmissionInline]
    formfield_overrides = FORMFIELD_OVERRIDES

    @admin.display(description="submissions")
    def submission_count(self, assignment: Assignment) -> int:
        return assignment.submissions.count()


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["assignment", "student", "original_name", "submitted_at"]
    list_filter = ["assignment"]
    search_fields = ["student__username", "student__email", "original_name"]
    fields = ["assignment", "student", "original_name", "download", "submitted_at"]
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, submission: Submission) -> str:
        url = reverse("courses:submission_file", args=[submission.pk])
        return format_html('<a href="{}">Download {}</a>', url, submission.original_name)

    def has_add_permission(self, request) -> bool:
        # Students hand in through the course site, where the due date is enforced.
        return False
