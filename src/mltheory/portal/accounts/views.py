"""Sign-up with email verification, and sign-in/out through Django's auth views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from ..redirects import next_url_or
from . import ratelimits
from .forms import EmailAuthenticationForm, SignUpForm
from .models import EmailVerification
from .tokens import email_verification_token

User = get_user_model()

RATE_LIMITED_STATUS = 429


@method_decorator(
    ratelimit(
        group="accounts.login.ip",
        key="ip",
        rate=ratelimits.login_rate_per_ip,
        method="POST",
        block=False,
    ),
    name="post",
)
@method_decorator(
    ratelimit(
        group="accounts.login.account",
        key=ratelimits.login_account,
        rate=ratelimits.login_rate_per_account,
        method="POST",
        block=False,
    ),
    name="post",
)
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            # Do not even try the password: a limited request must not tell a guess right or wrong.
            context = self.get_context_data(form=self.get_form_class()(request), rate_limited=True)
            return self.render_to_response(context, status=RATE_LIMITED_STATUS)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


@ratelimit(
    group="accounts.signup.ip",
    key="ip",
    rate=ratelimits.signup_rate_per_ip,
    method="POST",
    block=False,
)
def signup(request):
    if request.user.is_authenticated:
        return redirect("admissions:apply")
    if request.method == "POST":
        if getattr(request, "limited", False):
            form = SignUpForm(request.POST)
            return render(
                request,
                "accounts/signup.html",
                {"form": form, "rate_limited": True},
                status=RATE_LIMITED_STATUS,
            )
        form = SignUpForm(request.POST)
        if form.is_valid():
            # The account and its queued link commit together (requests are not atomic by
            # default): never an account whose link was lost, nor a link to no account.
            with transaction.atomic():
                user = form.save()
                EmailVerification.queue_email(user)
            login(request, user, backend="mltheory.portal.accounts.backends.EmailOrUsernameBackend")
            # Queued, not sent yet: the outbox worker mails it within moments, or retries.
            messages.info(
                request,
                f"Account created. We are sending a confirmation link to {user.email}; "
                "open it to be able to submit an application.",
            )
            return redirect("accounts:verify_sent")
    else:
        form = SignUpForm()
    return render(request, "accounts/signup.html", {"form": form})


def verify_sent(request):
    return render(request, "accounts/verify_sent.html")


def verify_email(request, uidb64: str, token: str):
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not email_verification_token.check_token(user, token):
        already = user is not None and EmailVerification.is_verified(user)
        return render(
            request,
            "accounts/verify_failed.html",
            {"already_verified": already},
            status=400 if not already else 200,
        )
    EmailVerification.mark_verified(user)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("admissions:apply")
    return redirect("accounts:login")


@login_required
@require_POST
@ratelimit(
    group="accounts.resend.account",
    key="user",
    rate=ratelimits.resend_rate_per_account,
    method="POST",
    block=False,
)
def resend_verification(request):
    if EmailVerification.is_verified(request.user):
        messages.info(request, "Your email address is already confirmed.")
    elif getattr(request, "limited", False):
        messages.error(
            request,
            f"You already asked for several links to {request.user.email} recently. "
            "Check your spam folder, or try again later.",
        )
    else:
        EmailVerification.queue_email(request.user)
        messages.info(request, f"We are sending a new confirmation link to {request.user.email}.")
    return redirect(next_url_or(request, reverse("accounts:verify_sent")))
