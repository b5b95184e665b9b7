"""The research seminar series: talks, recordings, an iCal feed and a mailing list.

Running it in production needs two things beside the web server:

- ``python -m mltheory.portal send_outbox --loop`` as a long-running service: it sends the
  portal's queued emails: the mailing list's (confirmations, announcements, reminders),
  admissions decisions and account confirmation links alike.
- ``python -m mltheory.portal seminar_reminders`` from cron every 10–15 minutes: it queues
  each talk's reminder once, within 24 hours of the talk.

``SITE_URL`` must be the public https address (links in emails, RFC 8058 unsubscribe), and
``CACHES`` a shared cache so the subscribe rate limit holds across worker processes.
"""
