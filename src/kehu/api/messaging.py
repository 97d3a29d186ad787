"""/api/v1: messaging."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["messaging"])
