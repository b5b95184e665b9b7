"""Course text in templates.

- ``{{ text|course_markdown }}``: text written by staff (assignment questions, ...) rendered as
  Markdown and sanitized like talk abstracts (an allow-list of formatting tags).
- ``{% problem_set_zero_url as url %}``: where applicants read problem set 0.
- ``{{ lectures|lectures_have_material }}``: whether a lecture plan needs its Material column.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from mltheory.portal.courses.models import Assignment
from mltheory.portal.seminars.abstracts import render_abstract

register = template.Library()


@register.filter
def course_markdown(text: str):
    return render_abstract(text)


@register.simple_tag
def problem_set_zero_url() -> str:
    """The page of the current offering's problem set 0 (part of the application), or ""
    when none is released. Found by title, as staff name it and as the demo loads it."""
    pset0 = (
        Assignment.objects.released()
        .filter(courses__offering__is_current=True, title__istartswith="Problem set 0")
        .prefetch_related("courses__offering")
        .distinct()
        .first()
    )
    if pset0 is None:
        return ""
    course = min((c for c in pset0.courses.all() if c.offering.is_current), key=lambda c: c.code)
    return reverse("courses:assignment", args=[course.offering.slug, course.slug, pset0.pk])


@register.filter
def lectures_have_material(lectures) -> bool:
    """Whether any lecture has slides, notes or a video: the plan shows a Material column
    only then (an empty column is noise)."""
    return any(
        lecture.slides_link or lecture.notes_url or lecture.video_url for lecture in lectures
    )
