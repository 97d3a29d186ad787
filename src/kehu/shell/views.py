"""Error pages in the app's own layout and the user's language, and /favicon.ico.

``kehu.urls`` installs the handlers. The API keeps answering JSON (its own handlers
answer inside it; these catch what reaches Django's, e.g. a path under /api/ that
fails before Ninja). The 500 page is rendered without the request: no context
processors, hence no database, no session, no user.
"""

from __future__ import annotations

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"code": "forbidden", "message": _("没有权限。")}, status=403)
    return defaults.permission_denied(request, exception, template_name="403.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"code": "not_found", "message": _("未找到。")}, status=404)
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        message = _("服务器出错了，错误已记录。")
        return JsonResponse({"code": "server_error", "message": message}, status=500)
    try:
        return HttpResponseServerError(loader.render_to_string("500.html"))
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("500.html could not be rendered")
        return HttpResponseServerError(
            "<!doctype html><title>500</title><h1>500</h1>", content_type="text/html"
        )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to the SVG."""
    return HttpResponseRedirect(static("kehu/favicon.svg"))
