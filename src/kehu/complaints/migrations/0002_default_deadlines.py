"""Seed the complaint deadlines per severity (editable afterwards in the admin)."""

from django.db import migrations

# severity → (first response, resolution, admins after the deadline), in hours.
DEFAULTS = {
    "critical": (1, 24, 1),
    "high": (4, 48, 4),
    "medium": (24, 5 * 24, 24),
    "low": (48, 10 * 24, 48),
}


def seed(apps, schema_editor):
    ComplaintDeadline = apps.get_model("complaints", "ComplaintDeadline")
    for severity, (response, resolution, admins) in DEFAULTS.items():
        ComplaintDeadline.objects.get_or_create(
            severity=severity,
            defaults={
                "response_hours": response,
                "resolution_hours": resolution,
                "admin_after_hours": admins,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
