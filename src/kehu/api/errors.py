"""Every API error is JSON: ``{"code": ..., "message": ..., "errors"?: ..., "details"?: ...}``.

==========================  ======  =================================================
code                        status  when
==========================  ======  =================================================
``malformed_json``          400     the request body is not JSON
``unauthorized``            401     no session, no token, or a revoked/unknown token
``forbidden``               403     the record is visible but read-only to this user,
                                    or the user's role may not do this
``csrf_failed``             403     a session-authenticated write without a CSRF token
``not_found``               404     no such record, not the user's to see, not an id
``page_out_of_range``       404     a page number past the last page
``conflict``                409     someone saved the record since the client read it
``version_required``        428     a change without ``version`` / ``If-Match``
``request_too_large``       413     a body over 5 MB (``DATA_UPLOAD_MAX_MEMORY_SIZE``)
``invalid``                 422     field errors (``errors``: field → messages)
``server_error``            500     a bug: logged with its traceback, never HTML
==========================  ======  =================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kehu.core.errors import KehuError
from kehu.core.middleware import request_too_large_message
from kehu.customers.selectors import PageOutOfRange

if TYPE_CHECKING:
    from ninja import NinjaAPI

NON_FIELD = "__all__"


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] | None = None
    details: dict[str, Any] | None = None


class ApiError(Exception):
    """An error the API raises itself, answered as ``status`` with ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The ``response=`` entries documenting error statuses in the OpenAPI."""
    return dict.fromkeys((401, 422, 500, *statuses), ErrorOut)


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    errors: dict[str, list[str]] | None = None,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    if details:
        body["details"] = details
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kehu"'
    return response


def _field_of(loc: list[Any] | tuple[Any, ...]) -> str:
    """``("body", "payload", "name")`` → ``name``; ``("query", "page")`` → ``page``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or NON_FIELD


def _ninja_validation_errors(exc: NinjaValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_of(error.get("loc", ())), []).append(str(error.get("msg", "")))
    return errors


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {key: [str(m) for m in messages] for key, messages in exc.message_dict.items()}
    return {NON_FIELD: [str(m) for m in exc.messages]}


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every exception an endpoint can raise with the JSON error shape."""

    def invalid(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
        return _respond(api, request, 422, "invalid", _("输入有误，请检查后重试。"), errors=errors)

    def on_ninja_validation(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, NinjaValidationError)
        if any(str(e.get("loc", ("",))[0]) == "path" for e in exc.errors):
            # An id that is not an id: the same answer as one that does not exist.
            return on_not_found(request, Http404())
        return invalid(request, _ninja_validation_errors(exc))

    def on_django_validation(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, DjangoValidationError)
        return invalid(request, _django_validation_errors(exc))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 404, "not_found", _("未找到。"))

    def on_page_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 404, "page_out_of_range", _("页码超出范围。"))

    def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 403, "forbidden", _("您无权执行此操作。"))

    def on_kehu_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, KehuError)
        return _respond(api, request, exc.status, exc.code, exc.message, details=exc.details)

    def on_api_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, ApiError)
        return _respond(api, request, exc.status, exc.code, exc.message, errors=exc.errors)

    def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(
            api, request, 401, "unauthorized", _("请登录，或使用 Authorization: Bearer 令牌。")
        )

    def on_http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        assert isinstance(exc, HttpError)
        if exc.status_code == 400 and isinstance(
            exc.__cause__, (json.JSONDecodeError, UnicodeDecodeError, ValueError)
        ):
            return _respond(api, request, 400, "malformed_json", _("请求体不是有效的 JSON。"))
        if exc.status_code == 403 and "CSRF" in exc.message:
            return _respond(api, request, 403, "csrf_failed", _("CSRF 校验失败。"))
        codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 429: "throttled"}
        return _respond(
            api, request, exc.status_code, codes.get(exc.status_code, "error"), exc.message
        )

    def on_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Normally answered before the API by RequestTooLargeMiddleware.
        return _respond(api, request, 413, "request_too_large", request_too_large_message())

    def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 400, "bad_request", _("请求无效。"))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug. Report it exactly as Django reports an uncaught exception (the
        # ``django.request`` log with the traceback, the signal the test client
        # re-raises from), but answer in the API's JSON shape, never an HTML page.
        # ``log_response`` marks the answer as logged, so Django's handler does not log
        # it a second time (without the traceback) when it sees the 500 go out.
        got_request_exception.send(sender=None, request=request)
        response = _respond(api, request, 500, "server_error", _("服务器内部错误。"))
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response

    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        Exception: on_unexpected,
        HttpError: on_http_error,
        RequestDataTooBig: on_too_large,
        SuspiciousOperation: on_suspicious,
        AuthenticationError: on_unauthenticated,
        NinjaValidationError: on_ninja_validation,
        DjangoValidationError: on_django_validation,
        Http404: on_not_found,
        PageOutOfRange: on_page_out_of_range,
        PermissionDenied: on_permission_denied,
        KehuError: on_kehu_error,
        ApiError: on_api_error,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
