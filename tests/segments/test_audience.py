"""A segment as an audience: the customer list's ``?segment=`` and the export of it,
only the customers the reader may see, 404 for a segment not theirs."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client

from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.exports.lists.customers import customer_source
from kehu.segments.models import SegmentKind
from kehu.segments.services import members_add, segment_create
from tests.conftest import Org
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

RULE = {"fact": "city", "op": "is", "value": "佛山"}


def test_the_customer_list_and_its_export_take_a_segment(org: Org) -> None:
    mine = make_customer(org.sales, name="佛山甲", city="佛山")
    make_customer(org.sales, name="广州甲", city="广州")
    make_customer(org.west_sales, name="佛山乙", city="佛山")
    pool = make_customer(None, name="佛山公海", city="佛山")
    segment = segment_create(
        actor=org.admin, data={"name": "佛山", "rule": RULE, "sharing": "shared"}
    )
    page = customer_list(org.sales, CustomerFilters(segment=segment.pk))
    assert {c.pk for c in page.items} == {mine.pk, pool.pk}
    searched = customer_list(org.sales, CustomerFilters(q="佛山", segment=segment.pk))
    assert {c.pk for c in searched.items} <= {mine.pk, pool.pk}
    assert customer_list(org.admin, CustomerFilters(segment=segment.pk)).count == 3
    source = customer_source(org.sales, {"segment": str(segment.pk)})
    assert set(source.queryset.values_list("pk", flat=True)) == {mine.pk, pool.pk}
    assert source.filters == {"segment": str(segment.pk)}
    client = Client()
    client.force_login(org.sales)
    html = client.get(f"/customers/?segment={segment.pk}").content.decode()
    assert 'id="audience"' in html and "佛山甲" in html and "广州甲" not in html


def test_a_segment_not_yours_is_404(org: Org) -> None:
    private = segment_create(actor=org.sales, data={"name": "私", "rule": RULE})
    with pytest.raises(Http404):
        customer_list(org.west_sales, CustomerFilters(segment=private.pk))
    with pytest.raises(Http404):
        customer_source(org.east_sales2, {"segment": str(private.pk)})
    client = Client()
    client.force_login(org.manager)
    assert client.get(f"/customers/?segment={private.pk}").status_code == 404


def test_a_static_list_as_audience(org: Org) -> None:
    mine = make_customer(org.sales, name="甲")
    make_customer(org.sales, name="乙")
    lst = segment_create(actor=org.sales, data={"name": "名单", "kind": SegmentKind.STATIC})
    members_add(actor=org.sales, segment=lst, customer_ids=[mine.pk])
    assert [c.pk for c in customer_list(org.sales, CustomerFilters(segment=lst.pk)).items] == [
        mine.pk
    ]


def test_a_campaign_to_a_segment_reaches_its_members_the_sender_may_message(org: Org) -> None:
    from kehu.messaging.models import Campaign, Recipient
    from tests.messaging.factories import consenting_customer

    mine = consenting_customer(org.sales, name="佛山甲", city="佛山")
    consenting_customer(org.sales, name="广州甲", city="广州")
    consenting_customer(org.west_sales, name="佛山乙", city="佛山")
    segment = segment_create(
        actor=org.admin, data={"name": "佛山客户", "rule": RULE, "sharing": "shared"}
    )
    client = Client()
    client.force_login(org.sales)
    detail = client.get(f"/segments/{segment.pk}/").content.decode()
    assert 'id="segment-campaign"' in detail and f"/messages/new/?segment={segment.pk}" in detail
    form = client.get(f"/messages/new/?segment={segment.pk}")
    assert form.status_code == 200 and "佛山客户" in form.content.decode()
    data = {
        "name": "佛山回馈",
        "channel": "sms",
        "purpose": "marketing",
        "body": "{称呼}好",
        "segment": str(segment.pk),
        "action": "send",
    }
    sent = client.post("/messages/new/", data)
    assert sent.status_code == 302, sent.content.decode()[:2000]
    campaign = Campaign.objects.get(name="佛山回馈")
    assert campaign.audience["filters"]["segment"] == segment.pk
    assert list(
        Recipient.objects.filter(campaign=campaign).values_list("customer_id", flat=True)
    ) == [mine.pk]


def test_a_private_segment_of_someone_else_is_no_audience(org: Org) -> None:
    private = segment_create(actor=org.west_sales, data={"name": "西区私有", "rule": RULE})
    client = Client()
    client.force_login(org.sales)
    page = client.get("/messages/new/").content.decode()
    assert "西区私有" not in page
    refused = client.post(
        "/messages/new/",
        {
            "name": "x",
            "channel": "sms",
            "purpose": "marketing",
            "body": "好",
            "segment": private.pk,
        },
    )
    assert refused.status_code == 422 and "segment" in refused.context["form"].errors
    from kehu.messaging.services import Audience, audience_ids

    with pytest.raises(Http404):
        audience_ids(org.sales, Audience(filters=CustomerFilters(segment=private.pk)))


def test_a_survey_sent_to_a_segment(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    from kehu.surveys.models import Invitation
    from tests.surveys.factories import make_survey

    make_customer(org.sales, name="佛山甲", city="佛山")
    make_customer(org.sales, name="广州甲", city="广州")
    segment = segment_create(
        actor=org.admin, data={"name": "佛山客户", "rule": RULE, "sharing": "shared"}
    )
    monkeypatch.setattr("kehu.messaging.services.message_to_customers", lambda **kw: "c")
    survey = make_survey(org.admin)
    client = Client()
    client.force_login(org.sales)
    query = {"channel": "sms", "language": "zh-hans", "segment": str(segment.pk)}
    preview = client.get(f"/surveys/{survey.pk}/send/", query)
    assert preview.context["preview"]["count"] == 1
    assert client.post(f"/surveys/{survey.pk}/send/", query).status_code == 302
    assert Invitation.objects.count() == 1
