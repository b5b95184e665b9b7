from django.contrib import admin

from .models import EmailVerification


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    list_display = ["user", "verified_email", "verified_at"]
    search_fields = ["user__username", "user__email", "verified_email"]
    readonly_fields = ["verified_at"]
