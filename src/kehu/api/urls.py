"""The API: Django Ninja, versioned under /api/v1, docs at /api/docs.

Mounted at ``/api/`` by ``kehu.urls``; every router lives under ``v1/``. The
OpenAPI document is ``/api/v1/openapi.json``; the Swagger page ``/api/docs``
loads its assets from this server (``ninja`` is an installed app).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger

from kehu.api.activity import router as activity_router
from kehu.api.auth import API_AUTH
from kehu.api.customers import router as customers_router
from kehu.api.errors import document_error_codes, install_error_handlers
from kehu.api.ownership import router as ownership_router


class KehuAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        document_error_codes(schema)
        return schema

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        # Anything else under /api/ is a JSON 404 too, not Django's HTML page.
        return [*patterns, re_path(r"", api_not_found)], app_name, namespace


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse({"code": "not_found", "message": _("未找到。")}, status=404)


api = KehuAPI(
    title="Kehu API",
    version="1",
    description=(
        "Kehu CRM. Authenticate with `Authorization: Bearer <token>` "
        "(`kehu token create USERNAME`) or the browser session (writes need the CSRF "
        "token). Errors are JSON: `{code, message, errors?, details?}`."
    ),
    urls_namespace="api",
    openapi_url="/v1/openapi.json",
    docs_url="/docs",
    # No validator badge: Swagger UI would otherwise call validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
    auth=API_AUTH,
)
install_error_handlers(api)
api.add_router("v1/customers", customers_router)
api.add_router("v1", ownership_router)
api.add_router("v1", activity_router)
api.add_router("v1", "kehu.api.contacts.router")
api.add_router("v1", "kehu.api.orders.router")
api.add_router("v1", "kehu.api.catalog.router")
api.add_router("v1", "kehu.api.complaints.router")
api.add_router("v1", "kehu.api.opportunities.router")
api.add_router("v1", "kehu.api.surveys.router")
api.add_router("v1", "kehu.api.care.router")
api.add_router("v1", "kehu.api.messaging.router")
api.add_router("v1", "kehu.api.lifecycle.router")
api.add_router("v1", "kehu.api.flags.router")
api.add_router("v1", "kehu.api.lifecycle_stats.router")
api.add_router("v1", "kehu.api.value.router")
api.add_router("v1", "kehu.api.imports.router")
api.add_router("v1", "kehu.api.exports.router")
api.add_router("v1", "kehu.api.leads.router")
api.add_router("v1", "kehu.api.channels.router")
api.add_router("v1", "kehu.api.segments.router")
api.add_router("v1", "kehu.api.coupons.router")
api.add_router("v1", "kehu.api.loyalty.router")
api.add_router("v1", "kehu.api.exits.router")
api.add_router("v1", "kehu.api.retention.router")
