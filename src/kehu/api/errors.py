"""Every API error is JSON: ``{"code": ..., "message": ..., "errors"?: ..., "details"?: ...}``.

``API_ERRORS`` below lists every ``code`` the API answers, with its status and when.
The OpenAPI document lists, on each operation, the codes it can answer
(``document_error_codes``): those that follow from the operation's shape (a body:
``malformed_json``, ``request_too_large``, ``invalid``; an id in the path:
``not_found``; a ``page``: ``page_out_of_range``; a write with the browser session:
``csrf_failed``; ``unauthorized``; ``server_error``), and those its router declares
with ``error_responses("forbidden", "conflict", ...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.log import log_response
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

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


@dataclass(frozen=True)
class ErrorDoc:
    statuses: tuple[int, ...]  # the first is the one ``error_responses("code")`` means
    when: str


API_ERRORS: dict[str, ErrorDoc] = {
    "malformed_json": ErrorDoc((400,), "the request body is not JSON"),
    "bad_request": ErrorDoc((400,), "the request body could not be read"),
    "file_rejected": ErrorDoc(
        (400,), "the uploaded file is no workbook, CSV or vCard, is empty or is too big"
    ),
    "unauthorized": ErrorDoc((401,), "no session, no token, or a revoked or unknown token"),
    "forbidden": ErrorDoc(
        (403,), "the record is visible but read-only to this user, or the role may not do this"
    ),
    "csrf_failed": ErrorDoc((403,), "a write with the browser session without the CSRF token"),
    "not_found": ErrorDoc((404,), "no such record, not the user's to see, or not an id"),
    "page_out_of_range": ErrorDoc((404,), "a page number past the last page"),
    "no_score": ErrorDoc(
        (404,), "nothing has been scored yet, or the customer had no purchase by then"
    ),
    "conflict": ErrorDoc((409,), "someone saved the record since it was read (a stale version)"),
    "duplicate": ErrorDoc(
        (409,), "looks like an existing customer (details: the candidates, can_override)"
    ),
    "ownership": ErrorDoc(
        (409,), "the public pool does not allow it (cap reached, claim blocked, not the owner)"
    ),
    # The public pool refused (kehu.customers.ownership.OwnershipError: the reason is the
    # code; "ownership" when it gives none).
    "taken": ErrorDoc((409,), "someone else owns the customer (or just claimed it)"),
    "already_yours": ErrorDoc((409,), "the customer is already the caller's"),
    "blocked": ErrorDoc((409,), "the caller released this customer recently (details.until)"),
    "over_cap": ErrorDoc((409,), "the caller already has as many customers as the role allows"),
    "in_pool": ErrorDoc((409,), "the customer is already in the public pool"),
    "changed": ErrorDoc((409,), "the customer's owner changed meanwhile; read it again"),
    "inactive_user": ErrorDoc((409,), "the receiving user is deactivated"),
    "bad_role": ErrorDoc((409,), "the receiving user's role cannot own customers"),
    "other_team": ErrorDoc((409,), "the receiving user is not in the caller's team"),
    "already_owner": ErrorDoc((409,), "the receiving user already owns the customer"),
    "merge": ErrorDoc((409,), "these customers cannot be merged, or the merge cannot be undone"),
    "invalid_transition": ErrorDoc((409,), "a move the complaint workflow does not allow"),
    "closed": ErrorDoc((409,), "the opportunity is won or lost already: it no longer moves"),
    "model_inactive": ErrorDoc((409,), "the lifecycle model is switched off"),
    "lead_state": ErrorDoc(
        (409,), "the lead's status does not allow this (e.g. already converted)"
    ),
    "import_state": ErrorDoc((409,), "the import is not at a step that allows this"),
    "expired": ErrorDoc((410,), "the export's download link has expired; export again"),
    "request_too_large": ErrorDoc((413,), "a body over 5 MB (DATA_UPLOAD_MAX_MEMORY_SIZE)"),
    "invalid": ErrorDoc((422,), "field errors (errors: field → messages)"),
    "invalid_date": ErrorDoc((422,), "a date that is not YYYY-MM-DD"),
    "invalid_rule": ErrorDoc(
        (422,),
        "a segment rule refused: an unknown fact, a wrong type or operator, or a model, "
        "stage, tag or flag that does not exist (errors.rule: the reasons)",
    ),
    "date_out_of_range": ErrorDoc((422,), "a date outside the range this operation serves"),
    "unknown_model": ErrorDoc((422, 404), "no lifecycle model with this key"),
    "unknown_stage": ErrorDoc((422,), "no stage with this key or name in the model"),
    "version_required": ErrorDoc((428,), "a change without version (in the body or If-Match)"),
    "server_error": ErrorDoc((500,), "a bug: logged with its traceback, answered as JSON"),
    "delivery_failed": ErrorDoc((503,), "the message could not be sent now; try again later"),
}

# What a bare status means in ``error_responses(403)`` (and a response without codes).
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "expired",
    413: "request_too_large",
    422: "invalid",
    428: "version_required",
    500: "server_error",
    503: "delivery_failed",
}
CODES_KEY = "x-error-codes"


def error_responses(*errors: str | int | tuple[int, str]) -> dict[int, Any]:
    """The ``response=`` entries for the errors an operation answers beyond its shape's.

    Each is a code (``"duplicate"``), a status (``409``: its usual code) or, for a code
    with several statuses, a ``(status, code)`` pair. The codes ride along in the
    schema and ``document_error_codes`` renders them.
    """
    by_status: dict[int, set[str]] = {}
    for error in errors:
        if isinstance(error, tuple):
            status, code = error
        elif isinstance(error, int):
            status, code = error, STATUS_CODES[error]
        else:
            status, code = API_ERRORS[error].statuses[0], error
        if status not in API_ERRORS[code].statuses:
            raise ValueError(f"{code} is not answered with {status}")
        by_status.setdefault(status, set()).add(code)
    responses: dict[int, Any] = {}
    for status, codes in by_status.items():
        extra: dict[str, Any] = {CODES_KEY: sorted(codes)}
        responses[status] = Annotated[ErrorOut, Field(json_schema_extra=extra)]
    return responses


def _shape_codes(operation: dict[str, Any], method: str, cookie_schemes: set[str]) -> set[str]:
    """The codes any operation of this shape can answer."""
    codes = {"server_error"}
    security = {name for entry in operation.get("security", []) for name in entry}
    if security:
        codes.add("unauthorized")
        if method != "get" and security & cookie_schemes:
            codes.add("csrf_failed")
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" for p in parameters):
        codes.add("not_found")
    if any(p["in"] == "query" and p["name"] == "page" for p in parameters):
        codes.add("page_out_of_range")
    if parameters or "requestBody" in operation:
        codes.add("invalid")
    if "requestBody" in operation:
        codes |= {"malformed_json", "bad_request", "request_too_large"}
    return codes


def document_error_codes(schema: dict[str, Any]) -> None:
    """List on each operation of ``schema`` the error codes it can answer, per status:
    in the response's description, as the enum of ``code`` (so a checker such as
    schemathesis refuses a code that is not listed) and as ``x-error-codes``."""
    schemes = schema.get("components", {}).get("securitySchemes", {})
    cookie_schemes = {name for name, scheme in schemes.items() if scheme.get("in") == "cookie"}
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path_item in schema["paths"].values():
        for method, operation in path_item.items():
            responses = operation["responses"]
            by_status: dict[int, set[str]] = {}
            for code in _shape_codes(operation, method, cookie_schemes):
                by_status.setdefault(API_ERRORS[code].statuses[0], set()).add(code)
            for status, response in list(responses.items()):
                if int(status) < 400:
                    continue
                body = response.get("content", {}).get("application/json", {}).get("schema", {})
                declared = body.get(CODES_KEY) or [STATUS_CODES[int(status)]]
                by_status.setdefault(int(status), set()).update(declared)
                del responses[status]
            for status in sorted(by_status):
                codes = sorted(by_status[status])
                listing = "; ".join(f"`{code}`: {API_ERRORS[code].when}" for code in codes)
                responses[status] = {
                    "description": f"{HTTPStatus(status).phrase}. {listing}",
                    "content": {
                        "application/json": {
                            "schema": {**error_ref, "properties": {"code": {"enum": codes}}}
                        }
                    },
                    CODES_KEY: codes,
                }


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


_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,40}")


def slug_or_404(key: str) -> str:
    """A record's key from the path (a model's or a flag's ``SlugField``), or 404 for
    one no record can have: PostgreSQL refuses to compare text holding a NUL."""
    if not _SLUG.fullmatch(key):
        raise ApiError(404, "not_found", _("未找到。"))
    return key
