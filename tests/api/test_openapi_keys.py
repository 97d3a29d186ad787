"""The OpenAPI document is JSON a strict reader takes: Swagger UI's YAML parser refuses a
mapping with a key twice, which ``json.dumps`` writes for a dict holding ``200`` and
``"200"`` (a response both declared and described in ``openapi_extra``)."""

from __future__ import annotations

from typing import Any

from kehu.api.urls import api


def _twice(node: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(node, dict):
        keys = [str(key) for key in node]
        found += [f"{path}: {key}" for key in sorted(set(keys)) if keys.count(key) > 1]
        for key, value in node.items():
            found += _twice(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _twice(value, f"{path}/{index}")
    return found


def test_no_key_appears_twice_in_the_openapi_document():
    assert _twice(api.get_openapi_schema(path_prefix="")) == []
