"""Course pages: the home page, course pages with lecture plans, assignments and files."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from mltheory.portal.admissions.models import current_call
from mltheory.portal.calendar_feed import FeedEvent, calendar_response, subscribe_links
from mltheory.portal.seminars.models import Talk
from mltheory.portal.uploads import protected_file_response

from .forms import SubmissionForm
from .models import Assignment, Course, Lecture, Offering, Submission


@require_GET
def home(request):
    offering = Offering.objects.current()
    courses = list(offering.courses.all()) if offering else []
    return render(
        request,
        "courses/home.html",
        {
            "offering": offering,
            "courses": courses,
            "call": current_call(),
            "talks": list(Talk.objects.upcoming()[:5]),
        },
    )


def _course(offering_slug: str, course_slug: str) -> Course:
    return get_object_or_404(
        Course.objects.select_related("offering"), offering__slug=offering_slug, slug=course_slug
    )


@require_GET
def course_detail(request, offering_slug: str, course_slug: str):
    course = _course(offering_slug, course_slug)
    lectures = course.lectures.prefetch_related("courses")
    assignments = course.assignments.all()
    if not request.user.has_perm("courses.view_assignment"):
        assignments = assignments.released()
    feed_path = reverse("courses:calendar", args=[offering_slug, course_slug])
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "sisters": course.sister_courses(),
            "lectures": lectures,
            "assignments": assignments,
            "feed": subscribe_links(request, feed_path),
        },
    )


@require_GET
def course_calendar(request, offering_slug: str, course_slug: str):
    course = _course(offering_slug, course_slug)
    page = request.build_absolute_uri(course.get_absolute_url())
    events = [
        FeedEvent(
            uid=f"lecture-{lecture.pk}@mltheory-portal",
            title=f"{course.code}: {lecture.title}",
            start=lecture.starts_at,
            end=lecture.ends_at,
            description=lecture.description,
            url=page,
        )
        for lecture in course.lectures.all()
    ]
    return calendar_response(f"{course.code} lectures ({course.offering})", events)


@require_GET
def lecture_slides(request, pk: int):
    # Slides are public course material; they go through a view only because uploads are never
    # served straight from MEDIA_ROOT.
    lecture = get_object_or_404(Lecture, pk=pk)
    if not lecture.slides:
        raise Http404("This lecture has no uploaded slides.")
    return protected_file_response(lecture.slides, private=False)


def _visible_assignment(request, pk: int) -> Assignment:
    assignment = get_object_or_404(Assignment, pk=pk)
    if not assignment.may_view(request.user):
        raise Http404("No such assignment.")
    return assignment


@require_http_methods(["GET", "POST"])
def assignment_detail(request, offering_slug: str, course_slug: str, pk: int):
    course = _course(offering_slug, course_slug)
    assignment = _visible_assignment(request, pk)
    if not assignment.courses.filter(pk=course.pk).exists():
        raise Http404("This assignment does not belong to this course.")
    may_submit = assignment.student_may_submit(request.user)
    form = SubmissionForm()
    if request.method == "POST":
        if not may_submit:
            raise PermissionDenied("Only enrolled students hand in solutions.")
        form = SubmissionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                assignment.submit(request.user, form.cleaned_data["file"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your solution was received.")
                return redirect(request.path)
    submissions = (
        assignment.submissions.filter(student=request.user)
        if may_submit
        else Submission.objects.none()
    )
    return render(
        request,
        "courses/assignment_detail.html",
        {
            "course": course,
            "assignment": assignment,
            "may_submit": may_submit,
            "is_open": assignment.is_open(),
            "form": form,
            "submissions": submissions,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def assignment_pdf(request, pk: int):
    assignment = _visible_assignment(request, pk)
    if not assignment.pdf:
        raise Http404("This assignment has no PDF.")
    return protected_file_response(assignment.pdf)


@require_GET
def submission_file(request, pk: int):
    submission = get_object_or_404(Submission, pk=pk)
    if not submission.may_download(request.user):
        # Same answer whether or not the file exists, so ids cannot be probed.
        raise Http404("No such file.")
    return protected_file_response(submission.file, download_name=submission.original_name)
