"""``send_outbox``: the worker that sends queued ``OutgoingEmail`` rows.

Run it once (cron) or as a long-running service with ``--loop``. Several workers may run
at once (each row is claimed by one worker). Killing it at any point loses nothing: a row is
marked sent only after the mail server accepted it. A mail server that is down is a failed
attempt for each due row (retried with backoff), never the worker's end; with ``--loop`` even
a database that is briefly unreachable only skips a round.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

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
                try:
                    counts = OutgoingEmail.objects.send_due(limit=batch)
                except Exception as exc:  # noqa: BLE001 -- the database, not the mail server
                    message = f"the outbox could not be processed: {type(exc).__name__}: {exc}"
                    if not loop:
                        raise CommandError(message) from exc
                    self.stderr.write(f"{message} (trying again in {interval:g} s)")
                    close_old_connections()
                    time.sleep(interval)
                    continue
                if any(counts.values()):
                    self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
                if not loop:
                    return
                if sum(counts.values()) < batch:
                    time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
