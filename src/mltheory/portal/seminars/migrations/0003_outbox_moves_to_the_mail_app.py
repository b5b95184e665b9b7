"""The outbox (``OutgoingEmail``) now belongs to the ``mail`` app, whose first migration takes
over its table and rows. Here it only leaves the seminars app's state: no table is dropped."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("seminars", "0002_outbox_decision_and_verification_kinds"),
        ("mail", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
