"""Staff tools in the Django admin: list filters for course, lateness and decision; decisions as
actions that go through the capacity-checked model methods; CSV export; reviews inline."""

from __future__ import annotations

import io

from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html_join

from .export import write_course_applications_csv
from .models import (
    Application,
    ApplicationCall,
    CapacityReached,
    CourseApplication,
    InvalidDecision,
    Review,
)


@admin.register(ApplicationCall)
class ApplicationCallAdmin(admin.ModelAdmin):
    list_display = ["offering", "full_consideration_at", "closes_at"]


class CourseApplicationInline(admin.TabularInline):
    model = CourseApplication
    fields = ["course", "state", "decided_at", "decided_by", "responded_at"]
    # Decisions change only through the actions, which enforce capacity.
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EmailMatchesInstitutionFilter(admin.SimpleListFilter):
    title = "email at stated institution"
    parameter_name = "email_matches"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No"), ("unknown", "Unknown")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        wanted = {"yes": True, "no": False, "unknown": None}[self.value()]
        ids = [a.pk for a in queryset if a.email_matches_institution() is wanted]
        return queryset.filter(pk__in=ids)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "applicant_email",
        "institution",
        "program",
        "course_codes",
        "preferred_course",
        "status",
        "submitted_at",
        "is_late",
        "email_matches",
    ]
    list_filter = [
        "call",
        "status",
        "is_late",
        "course_applications__course",
        "course_applications__state",
        "institution",
        "program",
        EmailMatchesInstitutionFilter,
    ]
    search_fields = ["applicant__email", "applicant__username", "statement"]
    ordering = ["submitted_at"]
    # Uploaded files are shown as links to the permission-checked download, never as storage
    # paths or direct URLs (MEDIA_URL is unset on purpose).
    exclude = ["pset0_theory", "pset0_programming"]
    readonly_fields = [
        "call",
        "applicant",
        "status",
        "submitted_at",
        "is_late",
        "email_matches",
        "pset0_files",
        "created",
        "updated",
    ]
    inlines = [CourseApplicationInline]

    @admin.display(description="problem set 0")
    def pset0_files(self, obj):
        links = [
            (reverse("admissions:file", args=[obj.pk, kind]), kind)
            for kind, field in Application.FILE_FIELDS.items()
            if getattr(obj, field)
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links) or "—"

    @admin.display(description="email", ordering="applicant__email")
    def applicant_email(self, obj):
        return obj.applicant.email

    @admin.display(description="courses")
    def course_codes(self, obj):
        return ", ".join(c.code for c in obj.courses())

    @admin.display(description="email at institution?", boolean=True)
    def email_matches(self, obj):
        return obj.email_matches_institution()


class ReviewInline(admin.StackedInline):
    model = Review
    fields = ["reviewer", "score", "notes"]
    readonly_fields = ["reviewer"]
    extra = 1


def _decide_action(decision: str, label: str):
    def action(modeladmin, request, queryset):
        done = 0
        for course_application in queryset.order_by("application__submitted_at", "pk"):
            try:
                course_application.decide(decision, by=request.user)
                done += 1
            except CapacityReached as error:
                modeladmin.message_user(request, f"Stopped: {error}", messages.ERROR)
                break
            except InvalidDecision as error:
                modeladmin.message_user(request, str(error), messages.WARNING)
        modeladmin.message_user(request, f"{label}: {done} application(s).", messages.SUCCESS)

    action.__name__ = f"mark_{decision}"
    return admin.action(description=f"{label} the selected applicants", permissions=["decide"])(
        action
    )


@admin.register(CourseApplication)
class CourseApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "applicant_email",
        "course",
        "state",
        "late",
        "submitted",
        "average_score_display",
    ]
    list_filter = ["course", "state", "application__is_late", "application__status"]
    search_fields = ["application__applicant__email"]
    readonly_fields = [
        "application",
        "course",
        "state",
        "decided_at",
        "decided_by",
        "waitlisted_at",
        "responded_at",
    ]
    inlines = [ReviewInline]
    actions = [
        _decide_action(CourseApplication.State.ADMITTED, "Admit"),
        _decide_action(CourseApplication.State.WAITLISTED, "Waitlist"),
        _decide_action(CourseApplication.State.REJECTED, "Reject"),
        "export_csv",
    ]

    def has_add_permission(self, request):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("admissions.decide")

    @admin.display(description="email", ordering="application__applicant__email")
    def applicant_email(self, obj):
        return obj.application.applicant.email

    @admin.display(description="late", boolean=True, ordering="application__is_late")
    def late(self, obj):
        return obj.application.is_late

    @admin.display(description="submitted", ordering="application__submitted_at")
    def submitted(self, obj):
        return obj.application.submitted_at

    @admin.display(description="average score")
    def average_score_display(self, obj):
        score = obj.average_score()
        return f"{score:.1f}" if score is not None else "—"

    @admin.action(description="Export the selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        out = io.StringIO()
        write_course_applications_csv(
            queryset.select_related("application__applicant", "course").prefetch_related(
                "reviews", "application__course_applications__course"
            ),
            out,
        )
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="applications.csv"'
        return response

    def save_formset(self, request, form, formset, change):
        # A review is always the signed-in reviewer's own.
        for review in formset.save(commit=False):
            if not review.reviewer_id:
                review.reviewer = request.user
            review.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["course_application", "reviewer", "score", "updated"]
    list_filter = ["course_application__course", "score"]
