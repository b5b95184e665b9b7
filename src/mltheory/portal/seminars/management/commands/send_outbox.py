"""``send_outbox``: the worker that sends queued ``OutgoingEmail`` rows.

Run it once (cron) or as a long-running service with ``--loop``. Several workers may run
at once on PostgreSQL (rows are claimed with SKIP LOCKED). Killing it at any point loses
nothing: a row is marked sent only after the mail server accepted it.
"""

from __future__ import annotations

import time

from django.core.mail import get_connection
from django.core.management.base import BaseCommand

from ...models import OutgoingEmail


class Command(BaseCommand):
    help = "Send due emails from the outbox (seminar mailing list, decisions, confirmation links)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep polling until stopped.")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds between polls with --loop."
        )
        parser.add_argument("--batch", type=int, default=100, help="Most emails per batch.")

    def handle(self, *args, loop: bool, interval: float, batch: int, **options):
        try:
            while True:
                counts = self.send_batch(batch)
                if any(counts.values()):
                    self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
                if not loop:
                    return
                if counts["sent"] + counts["retry"] + counts["failed"] < batch:
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def send_batch(self, batch: int) -> dict[str, int]:
        connection = get_connection()
        connection.open()
        try:
            return OutgoingEmail.objects.send_due(limit=batch, connection=connection)
        finally:
            connection.close()
