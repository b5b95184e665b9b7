"""Staff tools for the seminar series: talks and the mailing list (the outbox is in ``mail``).

Announcing and reminding only queue ``OutgoingEmail`` rows; the ``send_outbox`` worker
sends them, so a large list never holds up (or times out) the admin request.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html

from .mailing import absolute_url
from .models import Subscriber, Talk


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ["title", "speakers", "starts_at", "has_recording", "announced_at"]
    list_filter = ["starts_at"]
    search_fields = ["title", "speakers", "abstract"]
    date_hierarchy = "starts_at"
    readonly_fields = ["speaker_edit_link", "announced_at", "reminder_queued_at"]
    fieldsets = [
        (None, {"fields": ["title", "speakers", "speaker_email", "abstract"]}),
        ("When (UTC)", {"fields": ["starts_at", "ends_at"]}),
        ("Links", {"fields": ["zoom_url", "slides_url", "paper_url", "recording_url"]}),
        (
            "Speaker and mail",
            {"fields": ["speaker_edit_link", "announced_at", "reminder_queued_at"]},
        ),
    ]
    actions = ["announce", "send_reminder", "rotate_speaker_link"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(boolean=True, description="recording")
    def has_recording(self, talk: Talk) -> bool:
        return bool(talk.recording_url)

    @admin.display(description="speaker's private edit link")
    def speaker_edit_link(self, talk: Talk) -> str:
        if not talk.pk:
            return "Available after saving."
        url = absolute_url(talk.get_speaker_edit_url())
        return format_html(
            '<a href="{}">{}</a><br><small>Send this to the speaker. Anyone with it can edit '
            "the speakers, title, abstract and links; use the “rotate” action to revoke it.</small>",
            url,
            url,
        )

    @admin.action(description="Announce selected talks to the mailing list")
    def announce(self, request, queryset):
        for talk in queryset:
            if talk.is_over():
                self.message_user(request, f"“{talk.title}” is over; skipped.", messages.WARNING)
                continue
            count = talk.announce()
            if count is None:
                self.message_user(
                    request, f"“{talk.title}” was already announced; skipped.", messages.WARNING
                )
                continue
            self.message_user(request, f"Queued the announcement of “{talk.title}” to {count}.")

    @admin.action(description="Send reminder for selected talks now (once per talk)")
    def send_reminder(self, request, queryset):
        for talk in queryset:
            if talk.is_over():
                self.message_user(request, f"“{talk.title}” is over; skipped.", messages.WARNING)
                continue
            count = talk.queue_reminder()
            if count is None:
                self.message_user(
                    request, f"A reminder for “{talk.title}” was already queued.", messages.WARNING
                )
            else:
                self.message_user(request, f"Queued the reminder for “{talk.title}” to {count}.")

    @admin.action(description="Rotate speaker edit link (the old link stops working)")
    def rotate_speaker_link(self, request, queryset):
        for talk in queryset:
            talk.rotate_speaker_token()
        self.message_user(request, f"New speaker links for {queryset.count()} talk(s).")


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = [
        ("confirmed_at", admin.EmptyFieldListFilter),
        ("unsubscribed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email"]
    readonly_fields = ["created_at", "confirmed_at", "unsubscribed_at"]
    actions = ["unsubscribe"]

    @admin.action(description="Unsubscribe selected addresses")
    def unsubscribe(self, request, queryset):
        for sub in queryset:
            sub.unsubscribe()
