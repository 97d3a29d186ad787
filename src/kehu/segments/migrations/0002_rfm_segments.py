"""The eight standard RFM segments, ready-made and shared (``segments.builtin``)."""

from django.db import migrations

RFM_EIGHT = (
    ("rfm_important_value", "重要价值客户", True, True, True),
    ("rfm_important_develop", "重要发展客户", True, False, True),
    ("rfm_important_keep", "重要保持客户", False, True, True),
    ("rfm_important_retain", "重要挽留客户", False, False, True),
    ("rfm_general_value", "一般价值客户", True, True, False),
    ("rfm_general_develop", "一般发展客户", True, False, False),
    ("rfm_general_keep", "一般保持客户", False, True, False),
    ("rfm_general_retain", "一般挽留客户", False, False, False),
)


def create(apps, schema_editor):
    Segment = apps.get_model("segments", "Segment")
    for key, name, r, f, m in RFM_EIGHT:
        rule = {
            "all": [
                {"fact": fact, "op": ">=" if high else "<", "value": 3}
                for fact, high in (("rfm_r", r), ("rfm_f", f), ("rfm_m", m))
            ]
        }
        Segment.objects.get_or_create(
            builtin=key,
            defaults={"name": name, "rule": rule, "sharing": "shared", "kind": "rule"},
        )


def remove(apps, schema_editor):
    apps.get_model("segments", "Segment").objects.exclude(builtin="").delete()


seed = create  # the tests' worlds seed it again after a flush (tests/sweep/world.py)


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
