"""The default programme: four levels by 12-month spend and 1 point per ¥1."""

from decimal import Decimal

from django.db import migrations

LEVELS = [
    ("普通会员", 0, "0", "0", "消费即可积分，积分可兑换礼品"),
    ("银卡", 1000, "1000", "2", "全场 98 折；生日当月双倍积分"),
    ("金卡", 5000, "5000", "5", "全场 95 折；生日礼品；专属客服"),
    ("钻石", 20000, "20000", "10", "全场 9 折；优先发货；年度答谢活动"),
]


def seed(apps, schema_editor):
    Level = apps.get_model("loyalty", "Level")
    EarnRule = apps.get_model("loyalty", "EarnRule")
    for name, points, spend, discount, benefits in LEVELS:
        Level.objects.get_or_create(
            name=name,
            defaults={
                "min_points": points,
                "min_spend": Decimal(spend),
                "discount_percent": Decimal(discount),
                "benefits": benefits,
            },
        )
    if not EarnRule.objects.exists():
        EarnRule.objects.create(name="每消费 1 元得 1 分", kind="amount", points_per_yuan=Decimal(1))


def unseed(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
