"""The outbox in the admin: every queued email with its kind, status and last error."""

from __future__ import annotations

from django.contrib import admin

from .models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "to", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewable (rows are the record of what was sent); changed only through actions.
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("mail.change_outgoingemail")

    @admin.action(description="Retry selected failed emails", permissions=["retry"])
    def retry(self, request, queryset):
        failed = list(queryset.filter(status=OutgoingEmail.Status.FAILED))
        for row in failed:
            row.retry_now()
        self.message_user(request, f"{len(failed)} failed email(s) queued again.")
