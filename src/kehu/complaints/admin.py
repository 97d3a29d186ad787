from django.contrib import admin

from kehu.complaints.models import (
    Complaint,
    ComplaintDeadline,
    ComplaintEscalation,
    ComplaintStep,
    Incident,
    IncidentUpdate,
)


@admin.register(ComplaintDeadline)
class ComplaintDeadlineAdmin(admin.ModelAdmin):
    """The deadlines per severity (投诉处理时限): admins edit them here."""

    list_display = ("severity", "response_hours", "resolution_hours", "admin_after_hours")
    list_editable = ("response_hours", "resolution_hours", "admin_after_hours")


class StepInline(admin.TabularInline):
    model = ComplaintStep
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "actor", "at", "from_status", "to_status", "note")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EscalationInline(admin.TabularInline):
    model = ComplaintEscalation
    extra = 0
    can_delete = False
    readonly_fields = ("deadline", "level", "due_at", "escalated_at", "recipients")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """For looking things up; complaints move through the pages and the API, which
    keep deadlines, steps and the customer's timeline in step."""

    list_display = ("id", "customer", "severity", "status", "handler", "due_at", "received_at")
    list_filter = ("status", "severity", "channel", "category")
    search_fields = ("description", "customer__name")
    raw_id_fields = ("customer", "order", "product", "incident", "handler")
    readonly_fields = [f.name for f in Complaint._meta.fields]
    inlines = [StepInline, EscalationInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "cause", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "cause")
    readonly_fields = ("created_by", "updated_by", "version", "resolved_at")


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin):
    list_display = ("incident", "channel", "customer_count", "created_by", "created_at")
    readonly_fields = [f.name for f in IncidentUpdate._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
