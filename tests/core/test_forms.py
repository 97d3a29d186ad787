from django import forms
from django.core.exceptions import ValidationError

from kehu.core.errors import ConflictError
from kehu.core.forms import add_service_errors


class _Form(forms.Form):
    name = forms.CharField()
    customer = forms.IntegerField()


def _form() -> _Form:
    form = _Form({"name": "x", "customer": 1})
    assert form.is_valid()
    return form


def test_field_messages_land_on_their_fields_and_the_rest_above():
    form = _form()
    add_service_errors(
        form,
        ValidationError({"name": ["太长"], "customer_id": ["不存在"], "secret": ["不行"]}),
    )
    assert form.errors["name"] == ["太长"]
    assert form.errors["customer"] == ["不存在"]
    assert form.non_field_errors() == ["不行"]


def test_plain_validation_errors_and_domain_errors_go_above_the_fields():
    form = _form()
    add_service_errors(form, ValidationError(["一", "二"]))
    add_service_errors(form, ConflictError("已被他人修改"))
    assert form.non_field_errors() == ["一", "二", "已被他人修改"]
