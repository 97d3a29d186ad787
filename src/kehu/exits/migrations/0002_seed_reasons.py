"""The exit reasons a business starts with (000 §6.1): editable by admins afterwards.

(key, name, description, addressable for win-back, requires details, asks competitor)
"""

from django.db import migrations

REASONS = (
    ("price", "价格", "觉得价格太高，或找到了更便宜的选择。", True, False, False),
    ("quality", "产品质量", "对产品质量不满意。", True, False, False),
    ("service", "服务", "对服务、响应或流程不满意。", True, False, False),
    ("competitor", "竞争对手", "转向了竞争对手（请写明哪家）。", True, False, True),
    ("moved", "搬迁/迁离", "搬到了我们不服务的地区。", True, False, False),
    ("need_ended", "需求结束", "不再需要这类产品或服务。", True, False, False),
    ("closed", "停业/倒闭", "客户停业或倒闭。", False, False, False),
    ("bad_debt", "坏账/我方终止", "欠款不还，或由我方终止合作（请写明原因）。", False, True, False),
    ("unknown", "未知", "尚未查明原因。", True, False, False),
)


def seed(apps, schema_editor):
    ExitReason = apps.get_model("exits", "ExitReason")
    for position, (key, name, description, addressable, details, competitor) in enumerate(REASONS):
        ExitReason.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "description": description,
                "addressable": addressable,
                "requires_details": details,
                "asks_competitor": competitor,
                "position": (position + 1) * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("exits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
