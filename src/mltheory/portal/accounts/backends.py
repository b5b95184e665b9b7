"""Sign in with a username or an email address, in any letter case.

Accounts made by sign-up have their email address as username, but staff accounts made by
``createsuperuser`` or the admin often do not; the sign-in form asks for an email address, so
both must work.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = self.find_user(username.strip())
        if user is None:
            # As ModelBackend does: hash anyway, so a missing account takes as long as a wrong
            # password and timing does not tell which addresses have accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    @staticmethod
    def find_user(identifier: str):
        """The account whose username is ``identifier`` exactly, else the one account whose
        username or email matches it ignoring case. Two accounts sharing an address match
        neither: signing in must never pick one of them by chance."""
        users = get_user_model()._default_manager
        exact = users.filter(username=identifier).first()
        if exact is not None:
            return exact
        matches = list(
            users.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[:2]
        )
        return matches[0] if len(matches) == 1 else None
