"""Customer value API: RFM, tier, CLV, P(alive), risk; Pareto, at-risk, the model fit."""

from ninja import Router

router = Router(tags=["value"])
