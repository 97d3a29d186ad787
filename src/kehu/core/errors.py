"""Domain errors shared by services, views and the API.

Services raise these (or Django's ``ValidationError`` for field errors); views turn
them into messages and the API into JSON with a stable ``code``.
"""

from __future__ import annotations

from typing import Any


class KehuError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ConflictError(KehuError):
    """Someone else saved the record since it was read (optimistic locking)."""

    code = "conflict"
    status = 409


class NotAllowedError(KehuError):
    """The actor may see the record but not do this to it."""

    code = "forbidden"
    status = 403
