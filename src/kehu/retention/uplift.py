"""Uplift of a playbook: the save rate of the customers it acted on against the
held-out ones', with a 95 % interval for the difference (Newcombe's hybrid score
interval, method 10 of Newcombe 1998, from two Wilson intervals). No Django here."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054
# Fewer ended runs than this in either group: "not enough data yet".
MIN_GROUP = 20


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (0–1); (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Uplift:
    treated: int
    treated_saved: int
    held_out: int
    held_out_saved: int
    enough: bool
    treated_rate: float | None
    held_out_rate: float | None
    difference: float | None  # treated − held out, 0–1
    low: float | None
    high: float | None

    @property
    def extra_saved(self) -> float | None:
        """How many more of the treated customers were saved than without the playbook."""
        if self.difference is None:
            return None
        return self.difference * self.treated


def uplift(
    treated: int, treated_saved: int, held_out: int, held_out_saved: int, *, z: float = Z95
) -> Uplift:
    """The difference of save rates, treated − held out, with its interval; without
    ``MIN_GROUP`` ended runs in each group the rates are given but no difference."""
    rate1 = treated_saved / treated if treated else None
    rate2 = held_out_saved / held_out if held_out else None
    enough = treated >= MIN_GROUP and held_out >= MIN_GROUP
    if not enough or rate1 is None or rate2 is None:
        return Uplift(
            treated, treated_saved, held_out, held_out_saved, False, rate1, rate2, None, None, None
        )
    l1, u1 = wilson(treated_saved, treated, z)
    l2, u2 = wilson(held_out_saved, held_out, z)
    difference = rate1 - rate2
    low = difference - math.sqrt((rate1 - l1) ** 2 + (u2 - rate2) ** 2)
    high = difference + math.sqrt((u1 - rate1) ** 2 + (rate2 - l2) ** 2)
    return Uplift(
        treated,
        treated_saved,
        held_out,
        held_out_saved,
        True,
        rate1,
        rate2,
        difference,
        max(-1.0, low),
        min(1.0, high),
    )
