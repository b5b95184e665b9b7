from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.db.models import Q

User = get_user_model()


class SignUpForm(BaseUserCreationForm):
    """An account is an email address and a password; the address doubles as the username."""

    email = forms.EmailField(
        max_length=150,
        help_text="Use your university address (harvard.edu or mit.edu) so staff can confirm "
        "eligibility. We send a confirmation link to it.",
    )

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. Sign in instead."
            )
        return email

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.username = user.email
        if commit:
            user.save()
        return user


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, labelled for email addresses, which are stored lower-case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email"

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and "@" in username:
            self.cleaned_data["username"] = username.strip().lower()
        return super().clean()
