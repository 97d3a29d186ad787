"""Follow-up tasks (回访) staff owe customers, the in-app notifications that remind
them, and per-user calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.texts import TextJSONEncoder, message_render
from kehu.customers.models import Customer


class TaskKind(models.TextChoices):
    CALL = "call", _("电话回访")
    VISIT = "visit", _("上门拜访")
    GIFT = "gift", _("礼品关怀")
    SURVEY = "survey", _("满意度调查")
    CARE = "care", _("节日/生日关怀")
    OTHER = "other", _("其他")


class TaskPurpose(models.TextChoices):
    """Why the system made a task (blank: staff made it). Lets a feature find its own
    tasks again whatever their title became or the language it was written in."""

    NONE = "", _("—")
    RETENTION = "retention", _("挽留回访")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    SKIPPED = "skipped", _("已跳过")


class Task(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=TaskKind.choices)
    # A database default too: bulk inserts (the care agenda's) name their columns.
    purpose = models.CharField(
        _("用途"),
        max_length=16,
        choices=TaskPurpose.choices,
        default="",
        db_default="",
        blank=True,
    )
    # What people typed (and the words of tasks made before ``message``): a task the
    # system made leaves them empty and stores a message code and its facts instead,
    # rendered in the reader's language (``title_text``, ``notes_text``).
    title = models.CharField(_("标题"), max_length=200)
    notes = models.TextField(
        _("说明"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    message = models.CharField(max_length=40, blank=True, default="", db_default="")
    params = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)
    due_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    result = models.TextField(
        _("结果"), max_length=5000, blank=True, validators=[MaxLengthValidator(5000)]
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("回访任务")
        verbose_name_plural = _("回访任务")
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due"),
            models.Index(fields=["customer", "-due_at", "-id"], name="task_customer"),
            models.Index(fields=["status", "due_at"], name="task_status_due"),
        ]

    def __str__(self) -> str:
        return self.title_text

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def title_text(self) -> str:
        """The title in the active language (``kehu.core.texts``)."""
        return message_render(self.message, self.params, "title", self.title)

    @property
    def notes_text(self) -> str:
        return message_render(self.message, self.params, "notes", self.notes)


class Notification(models.Model):
    """An in-app message; ``key`` makes each reminder exist once, however many times
    (or however interrupted) the reminder job runs. E-mail goes out from here with a
    claim and a lease: never twice from two workers, retried if a worker died."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=64, unique=True)
    # Old rows' words; new ones store a message code and its facts (``title_text``).
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    message = models.CharField(max_length=40, blank=True, default="", db_default="")
    params = models.JSONField(null=True, blank=True, encoder=TextJSONEncoder)
    url = models.CharField(max_length=200, blank=True)
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["emailed_at", "email_claimed_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return self.title_text

    @property
    def title_text(self) -> str:
        """The title in the active language (``kehu.core.texts``)."""
        return message_render(self.message, self.params, "title", self.title)

    @property
    def body_text(self) -> str:
        return message_render(self.message, self.params, "body", self.body)


class CalendarFeed(models.Model):
    """A secret URL serving the user's open tasks as iCalendar (stored hashed)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} …{self.hint}"
