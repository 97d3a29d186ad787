"""The facts the rule language reads, its kinds and operators (the catalogue).

Pure: no Django import. Split from ``rules`` (validation, evaluation, words): the
lifecycle rules and the segments (``kehu.segments``) read one catalogue. A fact has a
``scope``: ``BOTH`` facts are computed for the lifecycle rules (``lifecycle.facts``) and
for segments; ``SEGMENT`` facts (the profile, the stage in a given model, the RFM
scores) are offered by the segment builder only, which compiles them to SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a string for translation (makemessages looks for this name)."""
    return message


Translate = Callable[[str], str]


def _identity(message: str) -> str:
    return message


# --- facts -------------------------------------------------------------------------------

NUMBER, SET, TEXT = "number", "set", "text"
BOTH, LIFECYCLE, SEGMENT = "both", "lifecycle", "segment"
WINDOWS = (30, 90, 180, 365)
MAX_DEPTH = 8
MAX_NODES = 200
MAX_DNF = 4096


@dataclass(frozen=True)
class Fact:
    name: str
    label: str  # marked with gettext_noop; may hold %(n)d for window facts
    unit: str
    kind: str = NUMBER
    help: str = ""
    money: bool = False
    time: bool = False  # changes as days pass (the daily job re-checks such rules)
    state: bool = False  # depends on the customer's current stage in the model
    available: bool = True  # False: declared, not computed yet
    n: int = 0
    scope: str = BOTH  # SEGMENT: offered to segments only (compiled to SQL there)
    per_model: bool = False  # the leaf names a lifecycle model: {"model": key, ...}
    per_field: bool = False  # the leaf names a custom field: {"field": key, ...}
    choices: tuple[tuple[str, str], ...] = ()  # TEXT: the codes and their labels

    def choice_text(self, code: str, translate: Translate = _identity) -> str:
        for value, label in self.choices:
            if value == code:
                return translate(label)
        return code

    def text(self, translate: Translate = _identity) -> str:
        label = translate(self.label)
        return label % {"n": self.n} if self.n else label


def _facts() -> dict[str, Fact]:
    day, yuan = gettext_noop("天"), gettext_noop("元")
    facts = [
        Fact(
            "orders_count",
            gettext_noop("订单数"),
            gettext_noop("单"),
            help=gettext_noop("已支付或部分退款的订单"),
        ),
        Fact(
            "revenue_total",
            gettext_noop("累计收入"),
            yuan,
            money=True,
            help=gettext_noop("扣除退款"),
        ),
        Fact(
            "profit_total",
            gettext_noop("累计毛利"),
            yuan,
            money=True,
            help=gettext_noop("有订单成本未知时为未知"),
        ),
    ]
    for n in WINDOWS:
        facts.append(Fact(f"revenue_{n}d", gettext_noop("近 %(n)d 天收入"), yuan, money=True, n=n))
    for n in WINDOWS:
        facts.append(Fact(f"profit_{n}d", gettext_noop("近 %(n)d 天毛利"), yuan, money=True, n=n))
    facts += [
        Fact("days_since_first_order", gettext_noop("首次购买距今"), day, time=True),
        Fact("days_since_last_order", gettext_noop("最近一次购买距今"), day, time=True),
        Fact(
            "median_gap_days",
            gettext_noop("平均购买间隔"),
            day,
            help=gettext_noop("相邻两次购买间隔的中位数；同一天的订单算一次；少于两个购买日时未知"),
        ),
        Fact("days_since_last_interaction", gettext_noop("最近一次跟进距今"), day, time=True),
        Fact("days_since_created", gettext_noop("建档距今"), day, time=True),
        Fact("open_complaints", gettext_noop("未关闭投诉"), gettext_noop("件")),
        Fact(
            "open_severe_complaints",
            gettext_noop("未关闭的严重投诉"),
            gettext_noop("件"),
            help=gettext_noop("严重程度为高或紧急"),
        ),
        Fact("latest_csat", gettext_noop("最近满意度评分"), gettext_noop("分"), help="1–5"),
        Fact("latest_nps", gettext_noop("最近推荐意愿"), gettext_noop("分"), help="0–10"),
        Fact("tags", gettext_noop("标签"), "", kind=SET),
        Fact("flags", gettext_noop("人工标记"), "", kind=SET),
        Fact("days_in_stage", gettext_noop("在当前阶段"), day, time=True, state=True),
        Fact(
            "orders_since_stage",
            gettext_noop("进入当前阶段后的购买次数"),
            gettext_noop("次"),
            state=True,
        ),
        # From the latest customer-value scoring (``kehu score``, nightly before the
        # lifecycle job): unknown for customers it has not scored.
        Fact(
            "rfm_score",
            gettext_noop("RFM 得分"),
            gettext_noop("分"),
            time=True,
            help=gettext_noop("R、F、M 三项得分之和"),
        ),
        Fact("tier", gettext_noop("星级"), gettext_noop("星"), time=True, help="1–5"),
        Fact(
            "p_alive",
            gettext_noop("活跃概率"),
            "",
            time=True,
            help=gettext_noop("BG/NBD 模型估计的仍为活跃客户的概率，0–1"),
        ),
        Fact("clv", gettext_noop("客户终身价值"), yuan, money=True, time=True),
        Fact(
            "churn_risk",
            gettext_noop("流失风险"),
            "",
            time=True,
            help=gettext_noop("流失预警得分，0–1"),
        ),
    ]
    facts += _segment_facts()
    return {fact.name: fact for fact in facts}


def _segment_facts() -> list[Fact]:
    """The facts segments add: the profile, the stage in a given model, RFM scores."""
    return [
        # Membership of another segment, by id: {"fact": "segment", "op": "has", "value": "12"}.
        Fact("segment", gettext_noop("所在分群"), "", kind=SET, scope=SEGMENT, time=True),
        # What the customer's purchases were (paid and partially refunded orders).
        Fact(
            "order_channels",
            gettext_noop("购买渠道"),
            "",
            kind=SET,
            scope=SEGMENT,
            choices=(
                ("online_shop", gettext_noop("网店")),
                ("store", gettext_noop("门店")),
                ("sales_rep", gettext_noop("销售代表")),
                ("phone", gettext_noop("电话")),
                ("wechat", gettext_noop("微信")),
                ("dealer", gettext_noop("经销商")),
                ("other", gettext_noop("其他")),
            ),
        ),
        Fact(
            "categories",
            gettext_noop("购买过的品类"),
            "",
            kind=SET,
            scope=SEGMENT,
            help=gettext_noop("订单明细中商品的类别"),
        ),
        Fact(
            "products",
            gettext_noop("购买过的商品"),
            "",
            kind=SET,
            scope=SEGMENT,
            help=gettext_noop("订单明细中的商品编码（SKU）"),
        ),
        Fact(
            "interests",
            gettext_noop("兴趣爱好"),
            "",
            kind=SET,
            scope=SEGMENT,
            help=gettext_noop("兴趣爱好中含有这段文字"),
        ),
        Fact(
            "custom_text",
            gettext_noop("自定义字段（文字）"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            per_field=True,
        ),
        Fact(
            "custom_number", gettext_noop("自定义字段（数字）"), "", scope=SEGMENT, per_field=True
        ),
        Fact("province", gettext_noop("省份"), "", kind=TEXT, scope=SEGMENT),
        Fact("city", gettext_noop("城市"), "", kind=TEXT, scope=SEGMENT),
        Fact("industry", gettext_noop("行业"), "", kind=TEXT, scope=SEGMENT),
        Fact(
            "customer_kind",
            gettext_noop("客户类型"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            choices=(("person", gettext_noop("个人")), ("company", gettext_noop("企业"))),
        ),
        Fact(
            "gender",
            gettext_noop("性别"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            choices=(("male", gettext_noop("男")), ("female", gettext_noop("女"))),
        ),
        Fact(
            "age",
            gettext_noop("年龄"),
            gettext_noop("岁"),
            time=True,
            scope=SEGMENT,
            help=gettext_noop("按生日计算的周岁；没有生日时未知"),
        ),
        Fact(
            "income_band",
            gettext_noop("收入水平"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            choices=(
                ("low", gettext_noop("5千以下/月")),
                ("lower_middle", gettext_noop("5千–1万/月")),
                ("middle", gettext_noop("1万–3万/月")),
                ("upper_middle", gettext_noop("3万–10万/月")),
                ("high", gettext_noop("10万以上/月")),
            ),
        ),
        Fact(
            "company_size",
            gettext_noop("企业规模"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            choices=(
                ("micro", gettext_noop("1–9 人")),
                ("small", gettext_noop("10–49 人")),
                ("medium", gettext_noop("50–249 人")),
                ("large", gettext_noop("250–999 人")),
                ("enterprise", gettext_noop("1000 人以上")),
            ),
        ),
        Fact(
            "channel",
            gettext_noop("获客渠道"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            choices=(
                ("website", gettext_noop("官网")),
                ("social_media", gettext_noop("社交媒体")),
                ("search_ads", gettext_noop("搜索广告")),
                ("ecommerce", gettext_noop("电商平台")),
                ("trade_show", gettext_noop("展会")),
                ("event", gettext_noop("线下活动")),
                ("direct_sales", gettext_noop("直销拜访")),
                ("referral", gettext_noop("客户推荐")),
                ("phone", gettext_noop("电话营销")),
                ("dealer", gettext_noop("经销商")),
                ("other", gettext_noop("其他")),
            ),
        ),
        Fact(
            "stage",
            gettext_noop("生命周期阶段"),
            "",
            kind=TEXT,
            scope=SEGMENT,
            per_model=True,
            time=True,
        ),
        Fact(
            "stage_days",
            gettext_noop("在该阶段的天数"),
            gettext_noop("天"),
            scope=SEGMENT,
            per_model=True,
            time=True,
        ),
        Fact(
            "rfm_r",
            gettext_noop("R 得分"),
            gettext_noop("分"),
            time=True,
            scope=SEGMENT,
            help=gettext_noop("最近一次购买的得分，1–5（5 最近）"),
        ),
        Fact(
            "rfm_f",
            gettext_noop("F 得分"),
            gettext_noop("分"),
            time=True,
            scope=SEGMENT,
            help=gettext_noop("购买频次的得分，1–5"),
        ),
        Fact(
            "rfm_m",
            gettext_noop("M 得分"),
            gettext_noop("分"),
            time=True,
            scope=SEGMENT,
            help=gettext_noop("消费金额的得分，1–5"),
        ),
        Fact(
            "rfm_segment",
            gettext_noop("RFM 分群"),
            "",
            kind=TEXT,
            time=True,
            scope=SEGMENT,
            choices=(
                ("champions", gettext_noop("重要价值客户")),
                ("loyal", gettext_noop("忠诚客户")),
                ("new", gettext_noop("新客户")),
                ("promising", gettext_noop("潜力客户")),
                ("need_attention", gettext_noop("需关注客户")),
                ("at_risk", gettext_noop("重要挽留客户")),
                ("hibernating", gettext_noop("沉睡客户")),
            ),
        ),
        Fact(
            "value_group",
            gettext_noop("二八分组"),
            "",
            kind=TEXT,
            time=True,
            scope=SEGMENT,
            choices=(
                ("top", gettext_noop("贡献最大的 20%")),
                ("middle", gettext_noop("持平的 60%")),
                ("drain", gettext_noop("亏损客户")),
            ),
        ),
    ]


FACTS: dict[str, Fact] = _facts()
NUMBER_OPS = (">", ">=", "<", "<=", "==", "!=")
SET_OPS = ("has", "lacks")
TEXT_OPS = ("is", "is_not")
PRESENCE_OPS = ("known", "unknown")
OP_SYMBOLS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}


def fact_key(leaf: Mapping[str, Any]) -> str:
    """The key a leaf's fact is read under: ``stage@default`` for a per-model fact,
    ``custom_text#size`` for a custom field."""
    model, name = leaf.get("model"), leaf.get("field")
    if model:
        return f"{leaf['fact']}@{model}"
    return f"{leaf['fact']}#{name}" if name else str(leaf["fact"])


class RuleError(Exception):
    """A condition or a set of rules that cannot be saved; ``messages`` say why."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages
