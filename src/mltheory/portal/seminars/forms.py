from __future__ import annotations

from django import forms

from .models import Talk


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.edu"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class SpeakerTalkForm(forms.ModelForm):
    """What a speaker may change about their own talk through the private link: the details
    only they know best (names and affiliations, title, abstract, slides and paper).

    Time, Zoom link and recording stay with staff.
    """

    slides_url = forms.URLField(label="Slides link", required=False, assume_scheme="https")
    paper_url = forms.URLField(label="Paper link", required=False, assume_scheme="https")

    class Meta:
        model = Talk
        fields = ["speakers", "title", "abstract", "slides_url", "paper_url"]
        widgets = {"abstract": forms.Textarea(attrs={"rows": 14, "cols": 80})}
        labels = {"speakers": "Speaker(s) and affiliation(s)"}
        help_texts = {
            "speakers": 'e.g. "Jane Doe (MIT), John Roe (Harvard)".',
            "abstract": "Markdown: *emphasis*, **bold**, [links](https://…), lists.",
        }
