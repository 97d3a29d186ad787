"""The festivals every Chinese business greets on, and three starting rules."""

from django.db import migrations

# (name, calendar, month, day, is_new_year_eve, greeting)
FESTIVALS = [
    ("春节", "lunar", 1, 1, False, "{称呼}，新春快乐！祝您阖家幸福，万事如意。"),
    ("元宵", "lunar", 1, 15, False, "{称呼}，元宵节快乐！团团圆圆，事事顺心。"),
    ("端午", "lunar", 5, 5, False, "{称呼}，端午安康！"),
    ("七夕", "lunar", 7, 7, False, "{称呼}，七夕快乐！"),
    ("中秋", "lunar", 8, 15, False, "{称呼}，中秋快乐！月圆人团圆。"),
    ("重阳", "lunar", 9, 9, False, "{称呼}，重阳节快乐！祝您和家人身体健康。"),
    ("除夕", "lunar", 12, 30, True, "{称呼}，除夕快乐！感谢一年来的信任与支持。"),
    ("元旦", "solar", 1, 1, False, "{称呼}，新年快乐！"),
    ("妇女节", "solar", 3, 8, False, "{称呼}，节日快乐！"),
    ("劳动节", "solar", 5, 1, False, "{称呼}，劳动节快乐！"),
    ("儿童节", "solar", 6, 1, False, "{称呼}，儿童节快乐！"),
    ("教师节", "solar", 9, 10, False, "{称呼}，教师节快乐！"),
    ("国庆", "solar", 10, 1, False, "{称呼}，国庆快乐！"),
]

RULES = [
    # (name, kind, create_task, task_kind)
    ("生日问候", "birthday", True, "greeting"),
    ("节日问候", "festival", False, ""),
    ("超过回访周期未联系", "cadence", True, "call"),
]


def seed(apps, schema_editor):
    Festival = apps.get_model("care", "Festival")
    CareRule = apps.get_model("care", "CareRule")
    CadenceRule = apps.get_model("care", "CadenceRule")
    for position, (name, calendar, month, day, eve, greeting) in enumerate(FESTIVALS):
        Festival.objects.get_or_create(
            name=name,
            defaults={
                "calendar": calendar,
                "month": month,
                "day": day,
                "is_new_year_eve": eve,
                "greeting": greeting,
                "position": position,
            },
        )
    for name, kind, create_task, task_kind in RULES:
        if not CareRule.objects.filter(kind=kind).exists():
            CareRule.objects.create(
                name=name, kind=kind, create_task=create_task, task_kind=task_kind
            )
    if not CadenceRule.objects.filter(is_default=True).exists():
        CadenceRule.objects.create(tag=None, is_default=True, days=90)


def unseed(apps, schema_editor):
    apps.get_model("care", "Festival").objects.filter(name__in=[f[0] for f in FESTIVALS]).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
