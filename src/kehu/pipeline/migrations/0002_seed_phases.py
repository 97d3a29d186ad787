"""The four phases of the selling process (seed 004, 管理营销过程) and the usual loss
reasons; both are rows a business edits afterwards."""

from django.db import migrations

PHASES = [
    ("interest", "兴趣需求收集", 10),
    ("solution", "方案设计", 30),
    ("selling", "营销", 60),
    ("follow_through", "跟踪", 80),
]
LOSS_REASONS = ["价格太高", "选择了竞争对手", "需求变化", "预算不足", "失去联系", "其他"]


def seed(apps, schema_editor):
    Phase = apps.get_model("pipeline", "Phase")
    LossReason = apps.get_model("pipeline", "LossReason")
    for position, (key, name, probability) in enumerate(PHASES):
        Phase.objects.get_or_create(
            key=key, defaults={"name": name, "position": position, "probability": probability}
        )
    for position, name in enumerate(LOSS_REASONS):
        LossReason.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
