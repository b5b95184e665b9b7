"""The application form: drafts save whatever is valid; submitting requires everything."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F

from mltheory.portal.accounts.models import EmailVerification
from mltheory.portal.courses.models import Course
from mltheory.portal.uploads import validate_pdf

from .models import Application, CourseApplication, PrerequisiteCourse

# Fields a submitted application must have, with the message shown when one is missing.
REQUIRED_TO_SUBMIT = {
    "courses": "Choose at least one course.",
    "institution": "Say which institution you study at.",
    "program": "Say whether you are a graduate or an undergraduate student.",
    "statement": "Write a statement.",
    "pset0_theory": "Upload the theory write-up of problem set 0 (PDF).",
    "pset0_programming": "Upload the programming part of problem set 0 (PDF export of the notebook).",
}


class PdfField(forms.FileField):
    """A PDF upload checked by content (not name) and size; see :func:`validate_pdf`."""

    default_validators = [validate_pdf]
    # No "clear" checkbox: a required upload is replaced, never removed.
    widget = forms.FileInput(attrs={"accept": "application/pdf"})


class CourseChoiceField(forms.ModelMultipleChoiceField):
    """Courses picked by id. An id no database integer can hold is an invalid choice, not a
    crash (SQLite raises OverflowError on integers beyond 64 bits in ``pk__in``)."""

    def _check_values(self, value):
        for pk in value:
            if str(pk).isdigit() and int(pk) >= 2**63:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:20] + "…"},
                )
        return super()._check_values(value)


class ApplicationForm(forms.ModelForm):
    courses = CourseChoiceField(
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose one or both.",
    )
    prerequisites_taken = forms.MultipleChoiceField(
        choices=PrerequisiteCourse.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Prerequisite courses taken",
    )
    pset0_theory = PdfField(required=False, label="Problem set 0: theory write-up (PDF)")
    pset0_programming = PdfField(
        required=False, label="Problem set 0: programming part (PDF export of the notebook)"
    )

    class Meta:
        model = Application
        fields = [
            "courses",
            "preferred_course",
            "institution",
            "program",
            "prerequisites_taken",
            "prerequisites_note",
            "statement",
            "pset0_theory",
            "pset0_programming",
        ]
        widgets = {
            "institution": forms.RadioSelect,
            "program": forms.RadioSelect,
            "statement": forms.Textarea(attrs={"rows": 10}),
            "prerequisites_note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"preferred_course": "If you apply to both, which do you prefer?"}
        help_texts = {
            "preferred_course": "Only if you apply to both: the course you would rather take.",
            "prerequisites_note": "Other or equivalent courses you have taken, and anything "
            "else you want the staff to know.",
            "statement": "Why you want to take the course, and what you would like to work on.",
        }

    # Optional in a draft, required to submit: the form template marks them.
    required_to_submit = tuple(REQUIRED_TO_SUBMIT)

    def __init__(self, *args, call, submitting: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        self.submitting = submitting
        offering_courses = Course.objects.filter(offering=call.offering).order_by("code")
        self.fields["courses"].queryset = offering_courses
        self.fields["preferred_course"].queryset = offering_courses
        self.fields["preferred_course"].empty_label = "No preference"
        self.fields["preferred_course"].required = False
        # Radio choices without the blank "---------" option.
        for name in ("institution", "program"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        if self.instance.pk:
            self.initial.setdefault("courses", list(self.instance.courses()))

    def clean(self):
        cleaned = super().clean()
        courses = cleaned.get("courses")
        preferred = cleaned.get("preferred_course")
        if preferred is not None and courses is not None:
            if len(courses) < 2:
                # A preference only means something between two courses; drop it quietly.
                cleaned["preferred_course"] = None
            elif preferred not in courses:
                self.add_error("preferred_course", "Prefer one of the courses you apply to.")
        if self.submitting:
            self._check_complete(cleaned)
        return cleaned

    def _check_complete(self, cleaned) -> None:
        applicant = self.instance.applicant
        if not EmailVerification.is_verified(applicant):
            raise ValidationError(
                f"Confirm your email address ({applicant.email}) before submitting: "
                "open the confirmation link we email to that address. Your draft is saved.",
                code="email_unverified",
            )
        for name, message in REQUIRED_TO_SUBMIT.items():
            if name in self.errors:
                continue
            value = cleaned.get(name)
            if name.startswith("pset0_") and not value:
                value = getattr(self.instance, name)  # uploaded earlier
            if not value:
                self.add_error(name, message)

    def save_valid_parts(self) -> None:
        """After a failed submit or a rejected upload, keep what was valid so nothing is lost.

        ModelForm has already copied every field that validated onto ``self.instance`` (fields
        with errors keep their stored value, so a rejected PDF leaves the previous one in place).
        """
        self.instance.save()
        if "courses" in self.cleaned_data:
            self.instance.set_courses(self.cleaned_data["courses"])

    def save(self, commit: bool = True):
        application = super().save(commit=commit)
        if commit:
            application.set_courses(self.cleaned_data.get("courses") or [])
        return application


class ReviewFilterForm(forms.Form):
    """Filter and sort one course's submitted applications on the staff review page."""

    SORTS = {
        "submitted": ("application__submitted_at", "pk"),
        "-submitted": ("-application__submitted_at", "-pk"),
        # Unscored applications last on every database (PostgreSQL puts NULLs first in DESC).
        "-score": (F("avg_score").desc(nulls_last=True), "application__submitted_at"),
        "email": ("application__applicant__email",),
    }

    state = forms.ChoiceField(
        choices=[("", "Any decision")] + list(CourseApplication.State.choices), required=False
    )
    late = forms.ChoiceField(
        choices=[("", "On time and late"), ("no", "On time only"), ("yes", "Late only")],
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[
            ("submitted", "Submitted first"),
            ("-submitted", "Submitted last"),
            ("-score", "Highest score"),
            ("email", "Email"),
        ],
        required=False,
    )

    def filter(self, queryset):
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("state"):
            queryset = queryset.filter(state=data["state"])
        if data.get("late"):
            queryset = queryset.filter(application__is_late=data["late"] == "yes")
        return queryset.order_by(*self.SORTS[data.get("sort") or "submitted"])
