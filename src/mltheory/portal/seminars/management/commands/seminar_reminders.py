"""``seminar_reminders``: queue the reminder for talks starting within the next 24 hours.

Run it from cron (every 10–15 minutes is plenty). Each talk's reminder is queued exactly
once however often this runs, including two runs at once; ``send_outbox`` sends them.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from ...models import Talk


class Command(BaseCommand):
    help = "Queue reminders for seminar talks starting within --hours (default 24), once each."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24.0)

    def handle(self, *args, hours: float, **options):
        now = timezone.now()
        talks = Talk.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=hours),
            reminder_queued_at__isnull=True,
        )
        for talk in talks:
            count = talk.queue_reminder()
            if count is not None:
                self.stdout.write(f"Queued the reminder for “{talk.title}” to {count}.")
