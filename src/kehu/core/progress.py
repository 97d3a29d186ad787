"""The progress bar long commands show (``kehu demo``, ``kehu lifecycle recompute``,
``kehu score``): tqdm on the command's stderr, redrawn in place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

# fraction done (0 to 1), and what is being done
Progress = Callable[[float, str], None]


def progress_bar(command: BaseCommand, *, total: int, unit: str, disable: bool = False) -> Any:
    """A bar counting ``total`` things. Drawn on the command's raw stderr: Django's
    wrapper would end every redraw with a new line."""
    return tqdm(total=total, unit=unit, disable=disable, file=command.stderr._out)


@contextmanager
def progress_percent(command: BaseCommand, *, disable: bool = False) -> Iterator[Progress]:
    """A bar in per cent; yields the ``Progress`` callback that moves it."""
    with progress_bar(command, total=100, unit="%", disable=disable) as bar:

        def report(fraction: float, label: str) -> None:
            bar.set_description(label)
            bar.update(max(0, min(100, round(fraction * 100)) - bar.n))

        yield report
