"""Placeholders: salutations, validation, rendering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Customer
from kehu.messaging.models import MessageTemplate
from kehu.messaging.placeholders import MissingValue, customer_values, render, salutation


@pytest.mark.parametrize(
    ("name", "kind", "gender", "expected"),
    [
        ("王小明", "person", "male", "王先生"),
        ("欧阳娜娜", "person", "female", "欧阳女士"),
        ("李雷", "person", "", "李雷"),
        ("John Smith", "person", "male", "Smith先生"),
        ("杭州某某科技有限公司", "company", "", "杭州某某科技有限公司"),
    ],
)
def test_salutation(name, kind, gender, expected):
    assert salutation(Customer(name=name, kind=kind, gender=gender)) == expected


def test_values_and_render():
    customer = Customer(name="王小明", kind="person", gender="male", birthday=dt.date(1990, 8, 15))
    values = customer_values(customer, "张经理")
    text = render("{称呼}，{生日}生日快乐！负责人：{负责人} {公司}", values)
    assert text == "王先生，8月15日生日快乐！负责人：张经理 "
    assert render("价格 {100} 与 { } 保留", {"100": "x"}) == "价格 x 与 { } 保留"
    with pytest.raises(MissingValue):
        render("{链接}", values)


def test_template_with_unknown_placeholder_is_a_field_error():
    template = MessageTemplate(name="t", channel="sms", body="{称呼}您好，{会员号}")
    with pytest.raises(ValidationError) as raised:
        template.full_clean()
    assert raised.value.message_dict["body"][0].startswith("未知的占位符：{会员号}")
