"""Care's contact cadence reads star tiers through the tier source value registers."""

import pytest

from kehu.care import cadence
from kehu.care.cadence import DEFAULT_DAYS, cadence_table, customer_tier, tier_reader
from kehu.value.selectors import latest_tiers

pytestmark = pytest.mark.django_db


def test_the_value_app_registers_the_tier_source():
    assert cadence._tier_source is not None
    # Registered by the value app, which imports its selectors on the first call.
    assert cadence._tier_source.reader.__module__ == "kehu.value.apps"
    assert cadence._tier_source.reader() == latest_tiers()
    assert set(cadence_table().by_tier) == {"1", "2", "3", "4", "5"}
    assert tier_reader() is None  # nothing scored yet
    assert customer_tier(1) is None


def test_without_a_tier_source_the_tags_and_default_decide(monkeypatch):
    monkeypatch.setattr(cadence, "_tier_source", None)
    table = cadence_table()
    assert table.by_tier == {}
    assert table.days_for(tier="5") == DEFAULT_DAYS
    assert tier_reader() is None and customer_tier(1) is None
