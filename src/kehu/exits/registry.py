"""Exit contexts: what an app above knows about the customers who left, shown apart on
the exit analysis — e.g. retention registers "left while a playbook ran" (离开时正在
挽留) in its ``AppConfig.ready()``, without exits importing it::

    register_exit_context("retention", _("离开时正在执行挽留方案"), customers_in_playbook)

``fn(customer_ids)`` gets the customers of the exits analysed and answers the ids of
those the context holds for (it may read ``ExitRecord`` for their exit times).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise

ContextFn = Callable[[Sequence[int]], set[int]]


@dataclass(frozen=True)
class ExitContext:
    name: str
    label: str | Promise
    fn: ContextFn


_CONTEXTS: dict[str, ExitContext] = {}


def register_exit_context(name: str, label: str | Promise, fn: ContextFn) -> None:
    """Register (or replace) the context ``name``."""
    _CONTEXTS[name] = ExitContext(name, label, fn)


def unregister_exit_context(name: str) -> None:
    _CONTEXTS.pop(name, None)


def exit_contexts() -> list[ExitContext]:
    return list(_CONTEXTS.values())
