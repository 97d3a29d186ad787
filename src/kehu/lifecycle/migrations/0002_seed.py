"""The four lifecycle models Kehu ships (DOMAIN.md §1), with stable keys, their stages
and default rules. The six-phase model is active and the default; the others are
there to switch on. Conditions use the rule language of ``kehu.lifecycle.rules``."""

from django.db import migrations

DSLO = "days_since_last_order"


def leaf(fact, op, value=None):
    node = {"fact": fact, "op": op}
    if value is not None:
        node["value"] = value
    return node


def gap(times):
    return {"fact": "median_gap_days", "times": times}


def lapsed(times, floor, no_rhythm):
    """No order for ``times`` × the customer's own gap and at least ``floor`` days, or —
    for customers with a single purchase day — ``no_rhythm`` days."""
    return {
        "any": [
            {"all": [leaf(DSLO, ">=", gap(times)), leaf(DSLO, ">=", floor)]},
            {"all": [leaf("median_gap_days", "unknown"), leaf(DSLO, ">=", no_rhythm)]},
        ]
    }


UNHAPPY = [leaf("open_severe_complaints", ">=", 1), leaf("latest_csat", "<=", 2)]
RETURNED = {
    "all": [
        leaf(DSLO, "<", 60),
        leaf("open_severe_complaints", "==", 0),
        {"not": leaf("latest_csat", "<=", 2)},
    ]
}

# key: (name, description, active, default, stages, rules)
# stage: (key, name, colour, kind, description)
# rule: (priority, name, from stage keys, to stage key, condition)
MODELS = {
    "six_phase": (
        "六阶段客户管理",
        "识别 → 获取 → 发展 → 维护 → 挽留 → 退出：从识别潜在客户到挽留与退出的完整周期；"
        "流失客户重新购买即回到发展阶段（赢回），周期螺旋上升。",
        True,
        True,
        [
            ("identify", "识别", "#6c757d", "normal", "已登记、尚未购买的潜在客户。"),
            ("acquire", "获取", "#0d6efd", "normal", "已完成首次购买的新客户。"),
            (
                "develop",
                "发展",
                "#20c997",
                "normal",
                "再次购买、关系正在加深的客户（含赢回的客户）。",
            ),
            ("maintain", "维护", "#198754", "normal", "稳定复购的老客户，重在关怀与维护。"),
            ("retain", "挽留", "#fd7e14", "normal", "购买中断、有严重投诉或不满意，需要挽留。"),
            ("exit", "退出", "#dc3545", "churned", "长期未购买，视为已流失。"),
        ],
        [
            (
                10,
                "长期未购买：退出",
                ["acquire", "develop", "maintain", "retain"],
                "exit",
                lapsed(4, 180, 365),
            ),
            (
                20,
                "购买中断、严重投诉或不满意：挽留",
                ["acquire", "develop", "maintain"],
                "retain",
                {"any": [lapsed(2, 60, 180), *UNHAPPY]},
            ),
            (30, "重新购买：赢回", ["retain", "exit"], "develop", RETURNED),
            (40, "首次购买", ["identify"], "acquire", leaf("orders_count", ">=", 1)),
            (50, "再次购买", ["acquire"], "develop", leaf("orders_count", ">=", 2)),
            (
                60,
                "稳定复购",
                ["develop"],
                "maintain",
                {"all": [leaf("orders_count", ">=", 3), leaf("orders_since_stage", ">=", 1)]},
            ),
        ],
    ),
    "call_center": (
        "呼叫中心五阶段",
        "接触 → 获取 → 转换 → 持续 → 忠诚：呼叫中心贯穿客户关系的每个阶段。",
        False,
        False,
        [
            ("contact", "接触", "#6c757d", "normal", "已接触、尚未购买。"),
            ("acquire", "获取", "#0d6efd", "normal", "完成首次购买。"),
            ("convert", "转换", "#20c997", "normal", "再次购买，成为回头客。"),
            ("persist", "持续", "#198754", "normal", "持续购买半年以上。"),
            ("loyal", "忠诚", "#6f42c1", "normal", "长期、高频购买或乐于推荐。"),
        ],
        [
            (10, "首次购买", ["contact"], "acquire", leaf("orders_count", ">=", 1)),
            (20, "再次购买", ["acquire"], "convert", leaf("orders_count", ">=", 2)),
            (
                30,
                "持续购买",
                ["convert"],
                "persist",
                {"all": [leaf("orders_count", ">=", 3), leaf("days_since_first_order", ">=", 180)]},
            ),
            (
                40,
                "忠诚客户",
                ["persist"],
                "loyal",
                {
                    "any": [
                        {"all": [leaf("orders_count", ">=", 6), leaf("revenue_365d", ">", 0)]},
                        {"all": [leaf("orders_count", ">=", 3), leaf("latest_nps", ">=", 9)]},
                    ]
                },
            ),
        ],
    ),
    "four_states": (
        "客户四状态",
        "潜在 → 新 → 重复购买 → 忠诚 → 流失：按购买行为划分的客户状态。",
        False,
        False,
        [
            ("potential", "潜在", "#6c757d", "normal", "尚未购买。"),
            ("new", "新客户", "#0d6efd", "normal", "首次购买。"),
            ("repeat", "重复购买", "#20c997", "normal", "已再次购买。"),
            ("loyal", "忠诚", "#198754", "normal", "一年以上、多次购买。"),
            ("churned", "流失", "#dc3545", "churned", "超过其购买间隔 3 倍未购买。"),
        ],
        [
            (
                10,
                "超过购买间隔未购买：流失",
                ["new", "repeat", "loyal"],
                "churned",
                lapsed(3, 90, 365),
            ),
            (20, "首次购买", ["potential"], "new", leaf("orders_count", ">=", 1)),
            (
                30,
                "再次购买（含赢回）",
                ["new", "churned"],
                "repeat",
                {"all": [leaf("orders_count", ">=", 2), leaf(DSLO, "<", 90)]},
            ),
            (
                40,
                "长期多次购买",
                ["repeat"],
                "loyal",
                {"all": [leaf("orders_count", ">=", 5), leaf("days_since_first_order", ">=", 365)]},
            ),
        ],
    ),
    "relationship": (
        "关系发展阶段",
        "考察期 → 形成期 → 稳定期 → 退化期：客户关系的发展与衰退。",
        False,
        False,
        [
            ("exploration", "考察期", "#6c757d", "normal", "双方相互了解、试探性购买。"),
            ("formation", "形成期", "#0d6efd", "normal", "开始重复购买，关系快速发展。"),
            ("stability", "稳定期", "#198754", "normal", "长期稳定合作。"),
            ("decline", "退化期", "#dc3545", "churned", "购买中断或明显不满，关系衰退。"),
        ],
        [
            (
                10,
                "购买中断或不满：退化",
                ["formation", "stability"],
                "decline",
                {"any": [lapsed(2, 90, 365), *UNHAPPY]},
            ),
            (20, "开始重复购买", ["exploration"], "formation", leaf("orders_count", ">=", 2)),
            (
                30,
                "长期稳定合作",
                ["formation"],
                "stability",
                {"all": [leaf("orders_count", ">=", 4), leaf("days_since_first_order", ">=", 365)]},
            ),
            (40, "恢复购买", ["decline"], "formation", RETURNED),
        ],
    ),
}

TIME_FACTS = ("days_since_", "days_in_stage")


def _time_dependent(node):
    if isinstance(node, dict):
        if isinstance(node.get("fact"), str) and node["fact"].startswith(TIME_FACTS):
            return True
        return any(_time_dependent(value) for value in node.values())
    if isinstance(node, list):
        return any(_time_dependent(value) for value in node)
    return False


def seed(apps, schema_editor):
    LifecycleModel = apps.get_model("lifecycle", "LifecycleModel")
    Stage = apps.get_model("lifecycle", "Stage")
    Rule = apps.get_model("lifecycle", "Rule")
    Flag = apps.get_model("lifecycle", "Flag")
    for position, (key, spec) in enumerate(MODELS.items()):
        name, description, active, default, stages, rules = spec
        if LifecycleModel.objects.filter(key=key).exists():
            continue
        model = LifecycleModel.objects.create(
            key=key,
            name=name,
            description=description,
            is_active=active,
            is_default=default,
            position=position,
        )
        by_key = {}
        for index, (stage_key, stage_name, color, kind, text) in enumerate(stages):
            by_key[stage_key] = Stage.objects.create(
                model=model,
                key=stage_key,
                name=stage_name,
                color=color,
                kind=kind,
                description=text,
                position=index,
            )
        for priority, rule_name, sources, target, condition in rules:
            Rule.objects.create(
                model=model,
                name=rule_name,
                from_stages=sources,
                to_stage=by_key[target],
                condition=condition,
                priority=priority,
                time_dependent=_time_dependent(condition),
            )
    for key, name, color, text in (
        ("key_account", "重点客户", "#6f42c1", "需要重点维护的客户。"),
        ("lost_to_competitor", "已转竞品", "#dc3545", "已确认转向竞争对手。"),
        ("do_not_disturb", "勿扰", "#6c757d", "客户要求减少联系。"),
    ):
        Flag.objects.get_or_create(
            key=key, defaults={"name": name, "color": color, "description": text}
        )


def unseed(apps, schema_editor):
    apps.get_model("lifecycle", "Rule").objects.filter(model__key__in=list(MODELS)).delete()
    apps.get_model("lifecycle", "Stage").objects.filter(model__key__in=list(MODELS)).delete()
    apps.get_model("lifecycle", "LifecycleModel").objects.filter(key__in=list(MODELS)).delete()


class Migration(migrations.Migration):
    dependencies = [("lifecycle", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
