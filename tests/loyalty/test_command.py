"""``kehu loyalty``: grant, balance, check, expire."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from kehu.loyalty.models import Member

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("loyalty", *args, stdout=out)
    return out.getvalue()


def test_grant_balance_check_and_expire(org, book):
    assert "+40" in run("grant", str(book["own"].pk), "40", "导入旧积分")
    assert "balance 40" in run("balance", str(book["own"].pk))
    assert "0 differ" in run("check")
    assert "expired 0 points" in run("expire")
    Member.objects.filter(customer=book["own"]).update(balance=41)
    with pytest.raises(CommandError):
        run("check")


def test_a_deduction_beyond_the_balance_is_refused(org, book):
    with pytest.raises(CommandError, match=r"积分不足|Not enough"):
        run("grant", str(book["own"].pk), "-5", "纠正")
