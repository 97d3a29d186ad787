"""The export pages read in English in English (column labels included)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from kehu.exports.models import ExportRecord, ExportStatus
from tests.factories import make_customer

CJK = re.compile(r"[\u4e00-\u9fff]")


def english(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_export_pages_in_english(org):
    make_customer(org.sales, name="Acme")
    client = english(org.admin)
    record = ExportRecord.objects.create(
        user=org.admin,
        list_key="customers",
        columns=["name"],
        file_format="csv",
        status=ExportStatus.QUEUED,
        rows_total=10,
    )
    for url in (
        reverse("exports:form", args=["customers"]),
        reverse("exports:form", args=["orders"]),
        reverse("exports:form", args=["stage-history"]),
        reverse("exports:records"),
        reverse("exports:settings"),
        reverse("exports:record", args=[record.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        main = _main(response.content.decode())
        assert not CJK.findall(main), (url, CJK.findall(main)[:10])
