"""The outbox's move from ``seminars`` to ``mail`` keeps every row, and its permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mltheory.portal.mail.models import OutgoingEmail

BEFORE_THE_MOVE = [("mail", None)]  # unapplies mail.0001 and seminars.0003 with it


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_migrating_from_the_seminars_outbox_keeps_its_rows():
    executor = _migrate(BEFORE_THE_MOVE)
    try:
        old_apps = executor.loader.project_state(
            [("seminars", "0002_outbox_decision_and_verification_kinds")]
        ).apps
        OldOutgoingEmail = old_apps.get_model("seminars", "OutgoingEmail")
        assert OldOutgoingEmail._meta.db_table == "seminars_outgoingemail"
        old = OldOutgoingEmail.objects.create(
            kind="decision", to="ada@example.edu", subject="CS 229br", body="Admitted.", attempts=2
        )
        # The permission staff hold on the outbox belongs to the old app's content type now.
        assert Permission.objects.filter(
            codename="change_outgoingemail", content_type__app_label="seminars"
        ).exists()
    finally:
        _migrate(executor.loader.graph.leaf_nodes())

    row = OutgoingEmail.objects.get(pk=old.pk)
    assert (row.kind, row.to, row.subject, row.attempts) == (
        "decision",
        "ada@example.edu",
        "CS 229br",
        2,
    )
    assert OutgoingEmail._meta.db_table == "mail_outgoingemail"
    assert Permission.objects.filter(
        codename="change_outgoingemail", content_type__app_label="mail"
    ).exists()
    assert not Permission.objects.filter(
        content_type__app_label="seminars", codename__contains="outgoing"
    ).exists()


@pytest.mark.django_db
def test_the_move_leaves_no_model_change_without_its_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
