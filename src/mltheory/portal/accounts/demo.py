"""Demo accounts for ``mlt portal demo``: one staff member and one student.

Their passwords are new at every load and printed in the startup text, so a demo database
never holds an account whose password is written down anywhere (a demo started on a public
address by mistake is not open to anyone who read the docs).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from .models import EmailVerification


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    staff: bool


DEMO_ACCOUNTS = (
    DemoAccount("staff@example.edu", "staff: the admin (/admin/) and reviewing applications", True),
    DemoAccount("student@example.edu", "a student with a confirmed email: apply at /apply/", False),
)


def load() -> list[tuple[DemoAccount, str]]:
    """Create or update the demo accounts with fresh passwords; returns (account, password)."""
    User = get_user_model()
    loaded = []
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            username=account.email, defaults={"email": account.email}
        )
        password = secrets.token_urlsafe(9)
        user.email = account.email
        user.is_staff = user.is_superuser = account.staff
        user.is_active = True
        user.set_password(password)
        user.save()
        EmailVerification.mark_verified(user)
        loaded.append((account, password))
    return loaded


def startup_text(loaded: list[tuple[DemoAccount, str]]) -> str:
    width = max(len(account.email) for account, _ in loaded)
    lines = ["Demo accounts (sign in with the email address; new passwords at every start):"]
    lines += [
        f"  {account.email:<{width}}  password {password}  ({account.role})"
        for account, password in loaded
    ]
    return "\n".join(lines)
