"""Middleware of Kehu's own."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"


def body_limit_mb() -> int:
    return max(1, round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)))


def request_too_large_message() -> str:
    return _("请求内容太大：最多 %(size)s MB。") % {"size": body_limit_mb()}


class RequestTooLargeMiddleware:
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` answers 413, not 400 or 500.

    Django raises ``RequestDataTooBig`` wherever the body is first read: in the CSRF
    check (a form: Django's bare 400 page) or inside an API endpoint (the API's
    catch-all: a 500). The body is read here first, after the session, the language
    and the user are known, so the answer is a 413 in the API's JSON shape under
    ``/api/`` and a page in the app's layout elsewhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                if (request.content_type or "").startswith("multipart/"):
                    # A form: parsed as the CSRF check parses it a moment later (files
                    # stream to disk; only the other fields count against the limit).
                    # The API reads the raw body itself, which parsing would consume;
                    # its own handler answers 413 there.
                    if request.method == "POST" and not request.path.startswith(API_PREFIX):
                        request.POST  # noqa: B018
                else:
                    request.body  # noqa: B018 - reads (and keeps) the body, or raises
            except RequestDataTooBig:
                return self.too_large(request)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest) -> HttpResponse:
        response: HttpResponse
        if request.path.startswith(API_PREFIX):
            response = JsonResponse(
                {"code": "request_too_large", "message": request_too_large_message()},
                status=413,
            )
        else:
            back = request.META.get("HTTP_REFERER", "")
            if not url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                back = "/"
            response = render(
                request,
                "413.html",
                {"message": request_too_large_message(), "back": back},
                status=413,
            )
        logger.warning(
            "Request body too large: %s (Content-Length %s)",
            request.path,
            request.META.get("CONTENT_LENGTH", "?"),
            extra={"status_code": 413, "request": request},
        )
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
