"""``createstaff``: a staff account that signs in with its email address.

Interactive by default (asks for the address and the password twice); ``--email`` with
``--password`` or ``MLT_PORTAL_STAFF_PASSWORD`` makes it scriptable. The address counts as
confirmed (whoever runs this vouches for it). Every problem is one line naming what was wrong.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from ...models import EmailVerification

PASSWORD_ENV = "MLT_PORTAL_STAFF_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a staff account that signs in with its email address (by default a superuser: "
        "every admin page and permission). Asks for what is not given unless --noinput."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="the account's email address (also its username)")
        parser.add_argument(
            "--password", help=f"its password (or set {PASSWORD_ENV}; asked for otherwise)"
        )
        parser.add_argument(
            "--superuser",
            action="store_true",
            default=True,
            help="give every permission (the default)",
        )
        parser.add_argument(
            "--no-superuser",
            dest="superuser",
            action="store_false",
            help="staff without permissions: grant them in the admin (Users, Groups)",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            dest="interactive",
            action="store_false",
            help="never ask: fail if --email or the password is missing",
        )

    def handle(self, *args, email, password, superuser, interactive, **options):
        interactive = interactive and sys.stdin.isatty()
        email = (email or (input("Email address: ") if interactive else "")).strip().lower()
        if not email:
            raise CommandError("--email is required (or run it in a terminal to be asked).")
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        User = get_user_model()
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise CommandError(
                f"an account for {email} already exists; change it in the admin (/admin/) instead."
            )
        password = password or os.environ.get(PASSWORD_ENV) or self._ask_password(interactive)
        user = User(username=email, email=email, is_staff=True, is_superuser=superuser)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("the password is too weak: " + " ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            EmailVerification.mark_verified(user)
        kind = "superuser" if superuser else "staff (no permissions yet)"
        self.stdout.write(
            f"Created {kind} account {email}. Sign in with this address at /accounts/login/ "
            "or /admin/."
        )

    def _ask_password(self, interactive: bool) -> str:
        if not interactive:
            raise CommandError(f"a password is required: --password or {PASSWORD_ENV}.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ; nothing was created.")
        if not password:
            raise CommandError("the password is empty; nothing was created.")
        return password
