"""The portal's outbox: every email the portal sends goes through it.

Web requests, staff actions and cron jobs only add ``OutgoingEmail`` rows (in the same
transaction as whatever caused them); the ``send_outbox`` worker sends them, with retries.
Seminar mail (confirmations, announcements, reminders), admissions decisions and account
confirmation links all live here, and any new kind of mail joins them.
"""
