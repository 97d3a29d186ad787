"""The API: Django Ninja, versioned under /api/v1, docs at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Kehu API", version="1", urls_namespace="api", docs_url="/docs")
