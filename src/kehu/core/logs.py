"""Logging helpers used by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (a 4xx: 403 permission denied, 400 bad host...) is one line.

    Django logs a ``PermissionDenied`` or a ``SuspiciousOperation`` with the traceback
    of the exception that answered it; a page full of refusals then hides the real
    errors. A record for a 5xx, or one without a status (a job's error), keeps its
    traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
