"""/api/v1: complaints."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["complaints"])
