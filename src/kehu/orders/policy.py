"""The refund and return policy (退款退货政策) shown where a refund is recorded.

The text is kept by an app above (exits: a fair exit with clear return and refund
rules, 000 §6.2) and registered here in its ``AppConfig.ready()``, so the order page
shows it without orders importing that app. Nothing registered: nothing shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RefundPolicy:
    refund: str  # 退款政策
    returns: str  # 退货政策

    def __bool__(self) -> bool:
        return bool(self.refund.strip() or self.returns.strip())


PolicySource = Callable[[], RefundPolicy]
_SOURCE: list[PolicySource] = []


def register_refund_policy(source: PolicySource) -> None:
    _SOURCE[:] = [source]


def refund_policy() -> RefundPolicy | None:
    """The business's policy, or None when none is kept or it is empty."""
    if not _SOURCE:
        return None
    policy = _SOURCE[0]()
    return policy if policy else None
