from __future__ import annotations

from django import forms

from mltheory.portal.uploads import validate_pdf


class SubmissionForm(forms.Form):
    """A student's solution. The due date and enrollment are checked by Assignment.submit."""

    file = forms.FileField(
        label="Your solution (PDF)",
        validators=[validate_pdf],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
