"""Applicant pages (apply, status, files) and the staff review page per course."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.courses.models import Course
from mltheory.portal.redirects import next_url_or
from mltheory.portal.uploads import protected_file_response

from .export import write_course_applications_csv
from .forms import ApplicationForm, ReviewFilterForm
from .models import (
    Application,
    CapacityReached,
    CourseApplication,
    InvalidDecision,
    current_call,
    domains_by_institution,
    email_matches_domains,
)


def _own_application(request, call):
    if call is None or not request.user.is_authenticated:
        return None
    return Application.objects.filter(call=call, applicant=request.user).first()


def apply(request):
    """The call: dates, eligibility, and where the visitor's own application stands."""
    call = current_call()
    application = _own_application(request, call)
    return render(
        request,
        "admissions/apply.html",
        {
            "call": call,
            "courses": call.offering.courses.order_by("code") if call else [],
            "application": application,
            "is_open": call.is_open() if call else False,
            "is_late_now": call.is_late() if call else False,
            "email_verified": EmailVerification.is_verified(request.user),
        },
    )


@login_required
def application_form(request):
    call = current_call()
    if call is None or not call.is_open():
        return render(request, "admissions/closed.html", {"call": call}, status=403)
    application = _own_application(request, call) or Application(call=call, applicant=request.user)
    if application.pk and not application.is_editable():
        messages.info(
            request, "Your application was submitted and can no longer be edited; here it is."
        )
        return redirect("admissions:status")

    if request.method == "POST":
        submitting = request.POST.get("action") == "submit" or application.is_submitted
        form = ApplicationForm(
            request.POST, request.FILES, instance=application, call=call, submitting=submitting
        )
        if form.is_valid():
            with transaction.atomic():
                application = form.save()
                if submitting:
                    application.submit()
            if submitting:
                messages.success(request, _submitted_message(application))
                return redirect("admissions:status")
            messages.success(request, "Draft saved.")
            return redirect("admissions:form")
        with transaction.atomic():
            form.save_valid_parts()
        messages.error(
            request,
            "Not submitted: fix the marked fields. Everything else you entered is kept"
            + (" (saved as a draft)." if not application.is_submitted else "."),
        )
    else:
        form = ApplicationForm(instance=application, call=call, submitting=False)
    return render(
        request,
        "admissions/form.html",
        {
            "call": call,
            "form": form,
            "application": application,
            "is_late_now": call.is_late(),
            "email_verified": EmailVerification.is_verified(request.user),
        },
    )


def _submitted_message(application: Application) -> str:
    if application.is_late:
        return (
            "Application submitted. It arrived after the full-consideration date, so it is "
            "marked late; staff still review late applications as places allow."
        )
    return "Application submitted. You can still edit it until the full-consideration date."


@login_required
def status(request):
    call = current_call()
    application = _own_application(request, call)
    if application is None:
        return redirect("admissions:apply")
    return render(
        request,
        "admissions/status.html",
        {
            "call": call,
            "application": application,
            "course_applications": application.course_applications.select_related("course"),
            "editable": application.is_editable(),
        },
    )


@login_required
@require_POST
def respond(request, pk: int):
    course_application = get_object_or_404(
        CourseApplication, pk=pk, application__applicant=request.user
    )
    action = request.POST.get("action")
    if action not in ("accept", "decline"):
        # Declining gives the place away for good; it must be asked for, never a fallback.
        messages.error(request, "Nothing changed: choose to accept or to decline your place.")
        return redirect("admissions:status")
    accept = action == "accept"
    try:
        course_application.respond(accept=accept)
    except InvalidDecision as error:
        messages.error(request, str(error))
    else:
        code = course_application.course.code
        if accept:
            messages.success(request, f"You accepted your place in {code}. Welcome!")
        else:
            messages.info(request, f"You declined your place in {code}.")
    return redirect("admissions:status")


@login_required
def download_file(request, pk: int, kind: str):
    """An applicant's uploaded PDF, for the applicant and for staff who may view applications.
    Anyone else gets 404, which does not even confirm the application exists."""
    application = get_object_or_404(Application, pk=pk)
    allowed = application.applicant_id == request.user.pk or request.user.has_perm(
        "admissions.view_application"
    )
    field_name = Application.FILE_FIELDS.get(kind)
    if not allowed or field_name is None:
        raise Http404("No such file.")
    field_file = getattr(application, field_name)
    if not field_file:
        raise Http404("No such file.")
    return protected_file_response(field_file, f"application-{application.pk}-{kind}.pdf")


# --- Staff review ---------------------------------------------------------------------------


@login_required
@permission_required("admissions.view_application", raise_exception=True)
def review_index(request):
    call = current_call()
    courses = (
        Course.objects.filter(offering=call.offering).order_by("code")
        if call
        else Course.objects.none()
    )
    rows = [
        {
            "course": course,
            "submitted": CourseApplication.objects.filter(
                course=course, application__status=Application.Status.SUBMITTED
            ).count(),
            "taken": CourseApplication.seats_taken(course),
        }
        for course in courses
    ]
    return render(request, "admissions/review_index.html", {"call": call, "rows": rows})


def _review_queryset(course: Course):
    """One course's submitted applications with everything a row shows, in a fixed number of
    queries however many there are (related rows joined or prefetched, scores aggregated)."""
    verified = EmailVerification.objects.filter(
        user=OuterRef("application__applicant"),
        verified_email__iexact=OuterRef("application__applicant__email"),
    )
    return (
        CourseApplication.objects.filter(
            course=course, application__status=Application.Status.SUBMITTED
        )
        .select_related("application__applicant", "application__preferred_course", "course")
        .prefetch_related("reviews", "application__course_applications__course")
        .annotate(
            avg_score=Avg("reviews__score"),
            n_reviews=Count("reviews"),
            email_verified=Exists(verified),
        )
    )


def _review_rows(course: Course, course_applications) -> list[CourseApplication]:
    """The rows, each with ``email_match`` (see ``Application.email_matches_institution``)."""
    domains = domains_by_institution(course.offering)
    rows = list(course_applications)
    for ca in rows:
        app = ca.application
        ca.email_match = email_matches_domains(
            app.applicant.email, ca.email_verified, domains.get(app.institution.lower(), [])
        )
    return rows


@login_required
@permission_required("admissions.view_application", raise_exception=True)
def review_course(request, course_id: int):
    course = get_object_or_404(Course.objects.select_related("offering"), pk=course_id)
    filters = ReviewFilterForm(request.GET or None)
    course_applications = _review_rows(course, filters.filter(_review_queryset(course)))
    return render(
        request,
        "admissions/review_course.html",
        {
            "course": course,
            "filters": filters,
            "course_applications": course_applications,
            "taken": CourseApplication.seats_taken(course),
            "can_decide": request.user.has_perm("admissions.decide"),
            "decisions": CourseApplication.STAFF_DECISIONS,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@permission_required("admissions.decide", raise_exception=True)
@require_POST
def decide(request, pk: int):
    course_application = get_object_or_404(CourseApplication, pk=pk)
    decision = request.POST.get("decision", "")
    try:
        course_application.decide(decision, by=request.user)
    except CapacityReached as error:
        messages.error(request, f"Not admitted: {error}")
    except InvalidDecision as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{course_application.application.applicant.email}: "
            f"{course_application.get_state_display().lower()} for {course_application.course.code}.",
        )
    default = reverse("admissions:review_course", args=[course_application.course_id])
    return redirect(next_url_or(request, default))


@login_required
@permission_required("admissions.view_application", raise_exception=True)
def export_csv(request, course_id: int):
    course = get_object_or_404(Course.objects.select_related("offering"), pk=course_id)
    filters = ReviewFilterForm(request.GET or None)
    out = io.StringIO()
    write_course_applications_csv(
        _review_rows(course, filters.filter(_review_queryset(course))), out
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="applications-{course.slug}-{stamp}.csv"'
    )
    return response
