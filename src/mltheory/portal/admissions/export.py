"""CSV export of applications for one course (staff review view and admin action)."""

from __future__ import annotations

import csv

CSV_COLUMNS = [
    "application_id",
    "email",
    "institution",
    "program",
    "email_matches_institution",
    "course",
    "decision",
    "courses_applied",
    "preferred_course",
    "prerequisites_taken",
    "prerequisites_note",
    "submitted_at_utc",
    "late",
    "average_score",
    "reviews",
]

# A cell a spreadsheet would run as a formula (CSV injection); prefixing a quote keeps it text.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def write_course_applications_csv(course_applications, out) -> None:
    """Write one row per course application (pass a queryset with related rows selected).

    Rows that carry ``email_match`` (the review page's rows) use it; others work it out.
    ``application.course_applications`` is read through ``.all()``, so a prefetch of
    ``application__course_applications__course`` makes "courses applied" free per row."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for ca in course_applications:
        app = ca.application
        scores = [r.score for r in ca.reviews.all()]
        matches = ca.email_match if hasattr(ca, "email_match") else app.email_matches_institution()
        applied = sorted(other.course.code for other in app.course_applications.all())
        writer.writerow(
            _cell(v)
            for v in [
                app.pk,
                app.applicant.email,
                app.institution,
                app.get_program_display() if app.program else "",
                {True: "yes", False: "no", None: "unknown"}[matches],
                ca.course.code,
                ca.state,
                "; ".join(applied),
                app.preferred_course.code if app.preferred_course else "",
                "; ".join(app.prerequisites_taken),
                app.prerequisites_note,
                app.submitted_at.isoformat() if app.submitted_at else "",
                "yes" if app.is_late else "no",
                f"{sum(scores) / len(scores):.2f}" if scores else "",
                len(scores),
            ]
        )
