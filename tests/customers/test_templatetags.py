from django.template import Context, Template
from django.utils import translation


def test_customer_filters_live_in_the_customers_library():
    template = Template(
        '{% load customer_tags %}{{ "+8613800138000"|phone }} · {{ "phones"|field_label }}'
        ' · {{ "name"|field_label }} · {{ "custom:level"|field_label }}'
    )
    with translation.override("zh-hans"):
        text = template.render(Context())
    assert text.startswith("138")
    assert text.endswith("· 电话 · 名称 · level")
