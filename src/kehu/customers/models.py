"""Customers (people and companies), their phones, contacts, tags, custom fields,
change history and the search index."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team
from kehu.core.models import TimeStampedModel
from kehu.core.texts import TextJSONEncoder, message_render


class CustomerKind(models.TextChoices):
    PERSON = "person", _("个人")
    COMPANY = "company", _("企业")


class Gender(models.TextChoices):
    UNKNOWN = "", _("未知")
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class SourceChannel(models.TextChoices):
    """Where the customer came from (获客渠道): online and offline (DOMAIN §3)."""

    UNKNOWN = "", _("未知")
    WEBSITE = "website", _("官网")
    SOCIAL_MEDIA = "social_media", _("社交媒体")
    SEARCH_ADS = "search_ads", _("搜索广告")
    ECOMMERCE = "ecommerce", _("电商平台")
    TRADE_SHOW = "trade_show", _("展会")
    EVENT = "event", _("线下活动")
    DIRECT_SALES = "direct_sales", _("直销拜访")
    REFERRAL = "referral", _("客户推荐")
    PHONE = "phone", _("电话营销")
    DEALER = "dealer", _("经销商")
    OTHER = "other", _("其他")


class IncomeBand(models.TextChoices):
    UNKNOWN = "", _("未知")
    LOW = "low", _("5千以下/月")
    LOWER_MIDDLE = "lower_middle", _("5千–1万/月")
    MIDDLE = "middle", _("1万–3万/月")
    UPPER_MIDDLE = "upper_middle", _("3万–10万/月")
    HIGH = "high", _("10万以上/月")


class CompanySize(models.TextChoices):
    UNKNOWN = "", _("未知")
    MICRO = "micro", _("1–9 人")
    SMALL = "small", _("10–49 人")
    MEDIUM = "medium", _("50–249 人")
    LARGE = "large", _("250–999 人")
    ENTERPRISE = "enterprise", _("1000 人以上")


class Tag(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    color = models.CharField(_("颜色"), max_length=7, default="#6c757d")

    class Meta:
        ordering = ["name"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(models.QuerySet["Customer"]):
    def alive(self) -> CustomerQuerySet:
        return self.filter(deleted_at__isnull=True)


class Customer(TimeStampedModel):
    kind = models.CharField(
        _("类型"), max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("名称"), max_length=200)
    name_pinyin = models.CharField(max_length=400, blank=True, editable=False)
    # The name with legal-form suffixes, brackets, width and spacing removed: what
    # duplicate detection compares (see duplicates.name_key).
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    email = models.EmailField(_("邮箱"), max_length=254, blank=True)
    wechat_id = models.CharField(_("微信号"), max_length=64, blank=True)
    province = models.CharField(_("省份"), max_length=32, blank=True)
    city = models.CharField(_("城市"), max_length=32, blank=True)
    district = models.CharField(_("区县"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    industry = models.CharField(_("行业"), max_length=64, blank=True)
    company_size = models.CharField(
        _("企业规模"), max_length=16, choices=CompanySize.choices, blank=True
    )
    source_channel = models.CharField(
        _("来源渠道"), max_length=20, choices=SourceChannel.choices, blank=True
    )
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    birthday_is_lunar = models.BooleanField(
        _("过农历生日"), default=False, help_text=_("生日按身份证上的公历日期保存")
    )
    income_band = models.CharField(
        _("收入水平"), max_length=16, choices=IncomeBand.choices, blank=True
    )
    interests = models.CharField(_("兴趣爱好"), max_length=255, blank=True)
    notes = models.TextField(
        _("备注"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="customers")
    custom_fields = models.JSONField(_("自定义字段"), default=dict, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer's id in another system (a shop, an ERP) that pushes its data here.
    source = models.CharField(_("外部系统"), max_length=32, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["owner", "id"], name="customer_owner_id"),
            models.Index(fields=["team", "id"], name="customer_team_id"),
            models.Index(fields=["province", "id"], name="customer_province_id"),
            models.Index(fields=["city", "id"], name="customer_city_id"),
            models.Index(fields=["source_channel", "id"], name="customer_source_id"),
            models.Index(fields=["kind", "id"], name="customer_kind_id"),
            models.Index(fields=["updated_at", "id"], name="customer_updated"),
            models.Index(fields=["name_pinyin"], name="customer_name_pinyin"),
            models.Index(fields=["deleted_at"], name="customer_deleted"),
            models.Index(fields=["owner", "claimed_at"], name="customer_owner_claimed"),
            models.Index(fields=["city", "name_key"], name="customer_city_name_key"),
            models.Index(fields=["email"], name="customer_email"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id="") & models.Q(deleted_at__isnull=True),
                name="customer_external_id_once",
                violation_error_message=_("该外部系统中已有相同外部编号的客户。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def in_public_pool(self) -> bool:
        return self.owner_id is None

    @property
    def primary_phone(self) -> str:
        phones = list(self.phones.all())
        primary = next((p for p in phones if p.is_primary), phones[0] if phones else None)
        return primary.number if primary else ""


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("电话"), max_length=20)  # E.164
    label = models.CharField(_("说明"), max_length=20, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["number"], name="customer_phone_number")]

    def __str__(self) -> str:
        return self.number


class Contact(TimeStampedModel):
    """A person at a company customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("姓名"), max_length=100)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    wechat_id = models.CharField(_("微信号"), max_length=64, blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.CharField(_("备注"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_primary=True),
                name="contact_one_primary",
                violation_error_message=_("一个客户只能有一位主要联系人。"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("文本")
    NUMBER = "number", _("数字")
    DATE = "date", _("日期")
    CHOICE = "choice", _("选项")


class CustomFieldDefinition(TimeStampedModel):
    """An admin-defined field; values live in ``Customer.custom_fields[key]``."""

    key = models.SlugField(_("键"), max_length=50, unique=True)
    label = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=CustomFieldKind.choices)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("自定义字段")
        verbose_name_plural = _("自定义字段")

    def __str__(self) -> str:
        return self.label


class ChangeAction(models.TextChoices):
    CREATE = "create", _("创建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    RESTORE = "restore", _("恢复")
    MERGE = "merge", _("合并")
    UNMERGE = "unmerge", _("撤销合并")


# The customer's contact data (联系方式): what the detail view shows a salesperson only
# once the customer is theirs (``access.contact_data_hidden``). History entries about
# these fields are marked ``CustomerChange.contact_data`` and shown through that rule.
CONTACT_DATA_FIELDS = frozenset(
    {"phones", "email", "wechat_id", "address", "contacts", "primary_contact"}
)


def is_contact_data(field: str) -> bool:
    """Whether a history entry about ``field`` carries contact data."""
    return field in CONTACT_DATA_FIELDS


class CustomerChange(models.Model):
    """One audited change: who changed which field from what to what, when.

    ``contact_data`` says the old and new values are contact data: every surface shows
    them only to who may see the customer's contact data. ``save()`` sets it from the
    field; a ``bulk_create`` passes ``contact_data=is_contact_data(field)``."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    contact_data = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at", "-id"], name="customer_change_timeline")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.action} {self.field}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.contact_data = self.contact_data or is_contact_data(self.field)
        super().save(*args, **kwargs)


class SearchToken(models.Model):
    """The search index: one row per (token, customer).

    Tokens are single CJK characters and bigrams of names (substring search),
    full pinyin and pinyin initials (prefix search), reversed phone digits (suffix
    search) and e-mail parts. The composite primary key is the B-tree that serves
    both exact and prefix lookups in customer-id order, on SQLite and PostgreSQL.
    """

    pk = models.CompositePrimaryKey("token", "customer")
    token = models.CharField(max_length=64)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["customer"], name="search_token_customer")]

    def __str__(self) -> str:
        return f"{self.token} → {self.customer_id}"


# --- Ownership: the public pool (公海), transfers, reclaim rules -------------------------


class OwnerChangeKind(models.TextChoices):
    CREATE = "create", _("创建")
    CLAIM = "claim", _("领取")
    RELEASE = "release", _("退回公海")
    RECLAIM = "reclaim", _("自动收回")
    TRANSFER = "transfer", _("转移")
    MERGE = "merge", _("合并")


class OwnerChange(models.Model):
    """Every change of a customer's owner, with why and by whom."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="owner_changes")
    kind = models.CharField(max_length=10, choices=OwnerChangeKind.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What a person typed (and the words of changes written before ``message``); a
    # change the system made keeps a message code and its facts (``reason_text``).
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    message = models.CharField(max_length=40, blank=True, default="", db_default="")
    params = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="owner_change_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"

    @property
    def reason_text(self) -> str:
        """Why, in the active language (``kehu.core.texts``)."""
        return message_render(self.message, self.params, "reason", self.reason)


class PoolPolicy(models.Model):
    """The reclaim rules and ownership caps, edited by an admin (one row)."""

    followup_days = models.PositiveIntegerField(
        _("未跟进收回天数"), default=30, help_text=_("负责人超过这么多天未跟进，客户自动退回公海")
    )
    deal_days = models.PositiveIntegerField(
        _("未成交收回天数"), default=90, help_text=_("领取后超过这么多天未成交，客户自动退回公海")
    )
    notice_days = models.PositiveIntegerField(
        _("提前提醒天数"), default=3, help_text=_("客户自动退回公海前这么多天提醒负责人")
    )
    reclaim_block_days = models.PositiveIntegerField(
        _("退回后禁止重新领取天数"),
        default=7,
        help_text=_("退回（或被收回）客户的人这么多天内不能再领取该客户"),
    )
    cap_sales = models.PositiveIntegerField(
        _("销售最多客户数"), default=500, help_text=_("达到上限后不能再从公海领取")
    )
    cap_manager = models.PositiveIntegerField(_("经理最多客户数"), default=2000)
    cap_admin = models.PositiveIntegerField(_("管理员最多客户数"), default=100000)
    enabled = models.BooleanField(
        _("启用自动收回"), default=True, help_text=_("关闭后不再自动退回客户，也不再发提醒")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Two admins may edit the rules at once: a save names the version it read.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("公海规则")
        verbose_name_plural = _("公海规则")

    def __str__(self) -> str:
        return str(_("公海规则"))


class PoolBlock(models.Model):
    """Who released a customer may not claim it back before ``until``."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="pool_block_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}/{self.user_id} until {self.until}"


class PoolNotice(models.Model):
    """An advance notice that a customer will return to the pool (sent once)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=10)  # "followup" or "deal"
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "owner", "rule", "due_at"], name="pool_notice_once"
            )
        ]
        indexes = [models.Index(fields=["owner", "read_at"], name="pool_notice_owner")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.rule} {self.due_at}"


# --- Duplicates and merges -----------------------------------------------------------


class DuplicatePair(models.Model):
    """Two customers that look like the same one, found by ``kehu dedupe scan``.

    ``customer_a`` has the smaller id. A pair somebody marked "not a duplicate" keeps
    ``dismissed_at`` so the next scan does not show it again.
    """

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-score", "customer_a_id", "customer_b_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"], name="duplicate_pair_once"
            ),
            models.CheckConstraint(
                condition=models.Q(customer_a__lt=models.F("customer_b")),
                name="duplicate_pair_ordered",
            ),
        ]
        indexes = [models.Index(fields=["customer_b"], name="duplicate_pair_b")]

    def __str__(self) -> str:
        return f"{self.customer_a_id}~{self.customer_b_id} {self.score:.2f}"


class CustomerMerge(models.Model):
    """One merge: ``merged`` went into ``survivor``. Keeps what is needed to undo it:
    the survivor's fields before, the merged record's data, and which attached rows
    moved (per registered relation)."""

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    survivor_before = models.JSONField(default=dict)
    merged_data = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("客户合并")
        verbose_name_plural = _("客户合并")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
