"""The outbox moves from ``seminars`` to its own app, keeping its table's rows.

Nothing is copied: the model appears in this app's state with the table it already has
(``seminars_outgoingemail``, created by ``seminars.0001_initial``), and the table is then
renamed to this app's name. Its content type (and so the permissions staff groups hold on it)
moves with it. ``seminars.0003`` removes the model from the seminars app's state only.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="mail", model="outgoingemail").exists():
        ContentType.objects.using(db).filter(app_label="seminars", model="outgoingemail").update(
            app_label="mail"
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if (
        not ContentType.objects.using(db)
        .filter(app_label="seminars", model="outgoingemail")
        .exists()
    ):
        ContentType.objects.using(db).filter(app_label="mail", model="outgoingemail").update(
            app_label="seminars"
        )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("seminars", "0002_outbox_decision_and_verification_kinds"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("confirmation", "subscription confirmation"),
                                    ("announcement", "talk announcement"),
                                    ("reminder", "talk reminder"),
                                    ("decision", "admissions decision"),
                                    ("verification", "email address confirmation"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("to", models.EmailField(max_length=254)),
                        ("subject", models.CharField(max_length=300)),
                        ("body", models.TextField()),
                        ("headers", models.JSONField(blank=True, default=dict)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "pending"),
                                    ("sending", "sending (claimed by a worker)"),
                                    ("sent", "sent"),
                                    ("failed", "failed (gave up)"),
                                    (
                                        "cancelled",
                                        "cancelled (recipient unsubscribed, or superseded by a "
                                        "newer one)",
                                    ),
                                ],
                                db_index=True,
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "next_attempt_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "subscriber",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="emails",
                                to="seminars.subscriber",
                            ),
                        ),
                        (
                            "talk",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="emails",
                                to="seminars.talk",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outgoing email",
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "seminars_outgoingemail",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="outgoingemail", table=None),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
