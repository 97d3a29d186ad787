"""What a column of an import can be: each kind's fields, the header words that
suggest them (Chinese, English, and the exports of Zoho CRM, HubSpot and 纷享销客) and,
for choice fields, the words that mean each choice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import CompanySize, CustomerKind, Gender, IncomeBand, SourceChannel
from kehu.interactions.models import Direction, InteractionKind
from kehu.orders.models import Channel, PaymentStatus

# How a cell is read (kehu.imports.values): text, date, phone, decimal, int, bool.
TEXT, DATE, PHONE, DECIMAL, INT, BOOL, CHOICE, LIST = (
    "text",
    "date",
    "phone",
    "decimal",
    "int",
    "bool",
    "choice",
    "list",
)


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    reads: str = TEXT
    choices: tuple[tuple[str, str | Promise], ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)  # folded word → choice
    repeatable: bool = False  # several columns may map to it (joined or listed)
    sample: str = ""
    note: str | Promise = ""


GENDER_WORDS = {
    "男": Gender.MALE,
    "男性": Gender.MALE,
    "先生": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "man": Gender.MALE,
    "mr": Gender.MALE,
    "mr.": Gender.MALE,
    "女": Gender.FEMALE,
    "女性": Gender.FEMALE,
    "女士": Gender.FEMALE,
    "小姐": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "ms": Gender.FEMALE,
    "ms.": Gender.FEMALE,
    "mrs": Gender.FEMALE,
    "mrs.": Gender.FEMALE,
    "未知": Gender.UNKNOWN,
    "保密": Gender.UNKNOWN,
}
SOURCE_WORDS = {
    "网站": SourceChannel.WEBSITE,
    "官网": SourceChannel.WEBSITE,
    "web": SourceChannel.WEBSITE,
    "website": SourceChannel.WEBSITE,
    "web site": SourceChannel.WEBSITE,
    "organic search": SourceChannel.WEBSITE,
    "微信": SourceChannel.SOCIAL_MEDIA,
    "公众号": SourceChannel.SOCIAL_MEDIA,
    "抖音": SourceChannel.SOCIAL_MEDIA,
    "小红书": SourceChannel.SOCIAL_MEDIA,
    "微博": SourceChannel.SOCIAL_MEDIA,
    "社交媒体": SourceChannel.SOCIAL_MEDIA,
    "social media": SourceChannel.SOCIAL_MEDIA,
    "百度": SourceChannel.SEARCH_ADS,
    "搜索": SourceChannel.SEARCH_ADS,
    "搜索广告": SourceChannel.SEARCH_ADS,
    "paid search": SourceChannel.SEARCH_ADS,
    "advertisement": SourceChannel.SEARCH_ADS,
    "淘宝": SourceChannel.ECOMMERCE,
    "天猫": SourceChannel.ECOMMERCE,
    "京东": SourceChannel.ECOMMERCE,
    "拼多多": SourceChannel.ECOMMERCE,
    "电商": SourceChannel.ECOMMERCE,
    "电商平台": SourceChannel.ECOMMERCE,
    "展会": SourceChannel.TRADE_SHOW,
    "trade show": SourceChannel.TRADE_SHOW,
    "活动": SourceChannel.EVENT,
    "线下活动": SourceChannel.EVENT,
    "seminar": SourceChannel.EVENT,
    "event": SourceChannel.EVENT,
    "拜访": SourceChannel.DIRECT_SALES,
    "陌拜": SourceChannel.DIRECT_SALES,
    "直销拜访": SourceChannel.DIRECT_SALES,
    "推荐": SourceChannel.REFERRAL,
    "转介绍": SourceChannel.REFERRAL,
    "客户推荐": SourceChannel.REFERRAL,
    "referral": SourceChannel.REFERRAL,
    "external referral": SourceChannel.REFERRAL,
    "电话": SourceChannel.PHONE,
    "电话营销": SourceChannel.PHONE,
    "cold call": SourceChannel.PHONE,
    "经销商": SourceChannel.DEALER,
    "代理商": SourceChannel.DEALER,
    "partner": SourceChannel.DEALER,
    "其他": SourceChannel.OTHER,
    "other": SourceChannel.OTHER,
}
KIND_WORDS = {
    "个人": CustomerKind.PERSON,
    "person": CustomerKind.PERSON,
    "企业": CustomerKind.COMPANY,
    "公司": CustomerKind.COMPANY,
    "单位": CustomerKind.COMPANY,
    "company": CustomerKind.COMPANY,
}


def _labels(choices: type) -> dict[str, str]:
    """Each choice's own label and key as words for it (官网 → website)."""
    words: dict[str, str] = {}
    for value, label in choices.choices:  # type: ignore[attr-defined]
        if value:
            words[str(value)] = value
            words[str(label)] = value
    return words


CUSTOMER_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        _("客户名称"),
        (
            "客户名称",
            "客户",
            "姓名",
            "名称",
            "客户姓名",
            "公司名称",
            "name",
            "full name",
            "customer",
            "customer name",
            "account name",
            "contact name",
            "first name",
            "last name",
            "姓",
            "名",
        ),
        repeatable=True,
        sample="张伟",
        note=_("必填"),
    ),
    ImportField(
        "kind",
        _("客户类型"),
        ("客户类型", "类型", "type", "customer type"),
        CHOICE,
        tuple(CustomerKind.choices),
        KIND_WORDS,
        sample="个人",
    ),
    ImportField(
        "phone",
        _("手机"),
        (
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "座机",
            "mobile",
            "mobile phone",
            "mobile phone number",
            "phone",
            "phone number",
            "telephone",
            "tel",
        ),
        PHONE,
        repeatable=True,
        sample="13800138000",
    ),
    ImportField(
        "email",
        _("邮箱"),
        ("邮箱", "邮件", "电子邮件", "电子邮箱", "email", "e-mail", "email address"),
        sample="zhangwei@example.com",
    ),
    ImportField("wechat_id", _("微信号"), ("微信", "微信号", "wechat", "wechat id"), sample=""),
    ImportField(
        "company",
        _("公司"),
        ("公司", "单位", "工作单位", "所属公司", "company", "company name", "organization"),
        sample="",
        note=_("填了公司且没有客户类型时，按企业客户导入，姓名作为联系人"),
    ),
    ImportField("title", _("职务"), ("职务", "职位", "title", "job title"), sample=""),
    ImportField(
        "province",
        _("省份"),
        (
            "省",
            "省份",
            "所在省",
            "省/直辖市",
            "state",
            "state/region",
            "province",
            "mailing state",
            "billing state",
        ),
        sample="浙江",
    ),
    ImportField(
        "city",
        _("城市"),
        ("市", "城市", "所在城市", "city", "mailing city", "billing city"),
        sample="杭州",
    ),
    ImportField("district", _("区县"), ("区", "区县", "县", "district"), sample="西湖区"),
    ImportField(
        "address",
        _("地址"),
        (
            "地址",
            "详细地址",
            "联系地址",
            "address",
            "street address",
            "mailing street",
            "billing street",
        ),
        sample="文三路 100 号",
    ),
    ImportField("industry", _("行业"), ("行业", "所属行业", "industry"), sample=""),
    ImportField(
        "company_size",
        _("企业规模"),
        ("企业规模", "规模", "人员规模", "employees", "number of employees"),
        CHOICE,
        tuple(CompanySize.choices),
        _labels(CompanySize),
    ),
    ImportField(
        "source_channel",
        _("来源渠道"),
        (
            "来源",
            "来源渠道",
            "客户来源",
            "获客渠道",
            "渠道",
            "source",
            "lead source",
            "original source",
        ),
        CHOICE,
        tuple(SourceChannel.choices),
        {**_labels(SourceChannel), **SOURCE_WORDS},
        sample="官网",
    ),
    ImportField(
        "gender",
        _("性别"),
        ("性别", "gender", "sex", "salutation", "称呼"),
        CHOICE,
        tuple(Gender.choices),
        {**_labels(Gender), **GENDER_WORDS},
        sample="男",
    ),
    ImportField(
        "birthday",
        _("生日"),
        ("生日", "出生日期", "出生年月", "birthday", "date of birth", "birthdate"),
        DATE,
        sample="1990-05-01",
    ),
    ImportField(
        "income_band",
        _("收入水平"),
        ("收入", "收入水平", "income"),
        CHOICE,
        tuple(IncomeBand.choices),
        _labels(IncomeBand),
    ),
    ImportField("interests", _("兴趣爱好"), ("兴趣", "爱好", "兴趣爱好", "interests")),
    ImportField(
        "notes",
        _("备注"),
        ("备注", "说明", "描述", "notes", "note", "description", "remark", "remarks"),
        repeatable=True,
        sample="",
    ),
    ImportField(
        "tags",
        _("标签"),
        ("标签", "tag", "tags", "客户标签"),
        LIST,
        repeatable=True,
        sample="VIP, 老客户",
        note=_("多个标签用逗号、顿号或分号隔开"),
    ),
    ImportField(
        "owner",
        _("负责人"),
        (
            "负责人",
            "跟进人",
            "所属销售",
            "销售",
            "owner",
            "contact owner",
            "account owner",
            "lead owner",
            "customer owner",
        ),
        sample="",
        note=_("用户名或姓名（选择“按文件中的负责人列”时使用）"),
    ),
    ImportField(
        "external_id",
        _("外部编号"),
        ("外部编号", "客户编号", "编号", "record id", "contact id", "account id", "id"),
    ),
)


PRODUCT_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        _("商品名称"),
        ("商品名称", "产品名称", "名称", "品名", "商品", "产品", "name", "product", "product name"),
        sample="明前龙井 250g",
        note=_("必填"),
    ),
    ImportField(
        "sku",
        _("货号"),
        ("货号", "sku", "编码", "商品编码", "产品编码", "product code", "item code"),
        sample="LJ-250",
        note=_("有货号时按货号更新已有商品"),
    ),
    ImportField("category", _("类别"), ("类别", "分类", "品类", "category"), sample="茶叶"),
    ImportField(
        "price",
        _("单价"),
        ("单价", "价格", "售价", "零售价", "price", "unit price"),
        DECIMAL,
        sample="398.00",
    ),
    ImportField(
        "unit_cost",
        _("成本"),
        ("成本", "成本价", "进价", "cost", "unit cost"),
        DECIMAL,
        sample="210.00",
    ),
    ImportField("is_active", _("在售"), ("在售", "上架", "状态", "active"), BOOL, sample="是"),
)


CHANNEL_WORDS = {
    "淘宝": Channel.ONLINE_SHOP,
    "天猫": Channel.ONLINE_SHOP,
    "京东": Channel.ONLINE_SHOP,
    "拼多多": Channel.ONLINE_SHOP,
    "线上": Channel.ONLINE_SHOP,
    "online": Channel.ONLINE_SHOP,
    "online shop": Channel.ONLINE_SHOP,
    "线下": Channel.STORE,
    "店铺": Channel.STORE,
    "store": Channel.STORE,
    "shop": Channel.STORE,
    "销售": Channel.SALES_REP,
    "业务员": Channel.SALES_REP,
    "sales": Channel.SALES_REP,
    "小程序": Channel.WECHAT,
    "代理商": Channel.DEALER,
}
PAYMENT_WORDS = {
    "已付": PaymentStatus.PAID,
    "已支付": PaymentStatus.PAID,
    "已收款": PaymentStatus.PAID,
    "付清": PaymentStatus.PAID,
    "paid": PaymentStatus.PAID,
    "部分": PaymentStatus.PARTIAL,
    "部分收款": PaymentStatus.PARTIAL,
    "partial": PaymentStatus.PARTIAL,
    "未付": PaymentStatus.UNPAID,
    "未收款": PaymentStatus.UNPAID,
    "赊账": PaymentStatus.UNPAID,
    "欠款": PaymentStatus.UNPAID,
    "unpaid": PaymentStatus.UNPAID,
}
CUSTOMER_REF_NOTE = _("手机号、邮箱、客户外部编号或客户名称（须是您能看到的客户）")

ORDER_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "external_id",
        _("订单号"),
        ("订单号", "订单编号", "单号", "order id", "order number", "order no", "order"),
        sample="DD-20250301-01",
        note=_("必填；订单号相同的行是同一订单的多行明细"),
    ),
    ImportField(
        "customer",
        _("客户"),
        ("客户", "客户名称", "客户姓名", "姓名", "手机", "手机号", "customer", "customer name"),
        sample="13800138000",
        note=CUSTOMER_REF_NOTE,
    ),
    ImportField(
        "ordered_at",
        _("下单时间"),
        ("下单时间", "下单日期", "订单日期", "日期", "时间", "order date", "date", "created"),
        DATE,
        sample="2025-03-01",
    ),
    ImportField(
        "product",
        _("商品"),
        ("商品", "商品/SKU", "商品名称", "产品", "sku", "货号", "商品编码", "product", "item"),
        sample="LJ-250",
        note=_("货号或商品名称；不填时按订单金额导入"),
    ),
    ImportField("quantity", _("数量"), ("数量", "件数", "qty", "quantity"), DECIMAL, sample="2"),
    ImportField(
        "unit_price",
        _("单价"),
        ("单价", "价格", "售价", "price", "unit price"),
        DECIMAL,
        sample="398.00",
        note=_("不填时用商品目录中的价格"),
    ),
    ImportField("discount", _("折扣"), ("折扣", "优惠", "discount"), DECIMAL, sample="0"),
    ImportField(
        "total",
        _("金额"),
        ("金额", "订单金额", "总额", "总金额", "实付", "实付金额", "amount", "total"),
        DECIMAL,
        sample="796.00",
        note=_("没有商品时必填；有商品时须等于明细合计"),
    ),
    ImportField(
        "channel",
        _("渠道"),
        ("渠道", "销售渠道", "下单渠道", "channel"),
        CHOICE,
        tuple(Channel.choices),
        {**_labels(Channel), **CHANNEL_WORDS},
        sample="门店",
    ),
    ImportField(
        "payment_status",
        _("付款状态"),
        ("付款状态", "收款状态", "支付状态", "payment", "payment status"),
        CHOICE,
        tuple(PaymentStatus.choices),
        {**_labels(PaymentStatus), **PAYMENT_WORDS},
        sample="已付款",
    ),
)


INTERACTION_KIND_WORDS = {
    "打电话": InteractionKind.CALL,
    "电话沟通": InteractionKind.CALL,
    "来电": InteractionKind.CALL,
    "去电": InteractionKind.CALL,
    "call": InteractionKind.CALL,
    "phone": InteractionKind.CALL,
    "phone call": InteractionKind.CALL,
    "上门": InteractionKind.VISIT,
    "面访": InteractionKind.VISIT,
    "拜访客户": InteractionKind.VISIT,
    "visit": InteractionKind.VISIT,
    "电子邮件": InteractionKind.EMAIL,
    "email": InteractionKind.EMAIL,
    "e-mail": InteractionKind.EMAIL,
    "sms": InteractionKind.SMS,
    "短消息": InteractionKind.SMS,
    "企业微信": InteractionKind.WECHAT,
    "wechat": InteractionKind.WECHAT,
    "开会": InteractionKind.MEETING,
    "面谈": InteractionKind.MEETING,
    "meeting": InteractionKind.MEETING,
    "event": InteractionKind.EVENT,
    "other": InteractionKind.OTHER,
}
DIRECTION_WORDS = {
    "呼出": Direction.OUTBOUND,
    "主动": Direction.OUTBOUND,
    "去电": Direction.OUTBOUND,
    "outbound": Direction.OUTBOUND,
    "呼入": Direction.INBOUND,
    "来电": Direction.INBOUND,
    "被动": Direction.INBOUND,
    "inbound": Direction.INBOUND,
}

INTERACTION_FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "customer",
        _("客户"),
        ("客户", "客户名称", "客户姓名", "姓名", "手机", "手机号", "customer", "customer name"),
        sample="13800138000",
        note=CUSTOMER_REF_NOTE,
    ),
    ImportField(
        "occurred_at",
        _("时间"),
        ("时间", "跟进时间", "日期", "跟进日期", "联系时间", "date", "time", "activity date"),
        DATE,
        sample="2025-03-01 14:30",
        note=_("不填时为导入的时间"),
    ),
    ImportField(
        "kind",
        _("方式"),
        ("方式", "类型", "方式/类型", "跟进方式", "联系方式", "type", "activity type"),
        CHOICE,
        tuple(InteractionKind.choices),
        {**_labels(InteractionKind), **INTERACTION_KIND_WORDS},
        sample="电话",
        note=_("必填"),
    ),
    ImportField(
        "direction",
        _("方向"),
        ("方向", "direction"),
        CHOICE,
        tuple(Direction.choices),
        {**_labels(Direction), **DIRECTION_WORDS},
        sample="我方发起",
    ),
    ImportField(
        "notes",
        _("内容"),
        ("内容", "跟进内容", "沟通内容", "记录", "备注", "notes", "description", "comments"),
        repeatable=True,
        sample="介绍了新品，客户有兴趣",
    ),
    ImportField("outcome", _("结果"), ("结果", "跟进结果", "outcome", "result"), sample=""),
    ImportField("next_step", _("下一步"), ("下一步", "下一步计划", "next step"), sample=""),
    ImportField(
        "user",
        _("记录人"),
        ("记录人", "跟进人", "负责人", "销售", "user", "owner", "assigned to"),
        sample="",
        note=_("用户名或姓名；不填时为导入人"),
    ),
)


def fields_for(kind: str) -> tuple[ImportField, ...]:
    if kind == "customers":
        return CUSTOMER_FIELDS
    if kind == "products":
        return PRODUCT_FIELDS
    if kind == "orders":
        return ORDER_FIELDS
    if kind == "interactions":
        return INTERACTION_FIELDS
    return ()


_BY_KEY = {
    kind: {f.key: f for f in fields_for(kind)}
    for kind in ("customers", "products", "orders", "interactions")
}


def field_by_key(kind: str, key: str) -> ImportField | None:
    return _BY_KEY.get(kind, {}).get(key)
