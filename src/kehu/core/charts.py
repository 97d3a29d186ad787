"""What every ECharts chart of the app shares, passed to the page as JSON (``json_script``)
beside its data, so the page's script only reads it:

* ``formats``: the number formats of ``kehu.core.money`` / ``kehu.core.numbers`` as
  specs (``{"prefix": "¥", "suffix": "", "places": 2}``) for tooltips and axis labels:
  the script formats ``prefix + number grouped by thousands + suffix``, never ``-0``;
* ``legend`` and ``grid``: the legend on one scrolling line at the top, and a plot area
  that starts below it and contains its axis labels and axis names. ECharts 6 puts a
  legend at the bottom by default, where it was drawn over the x-axis labels; at
  375 px a wrapped legend covered the plot too.
"""

from __future__ import annotations

from typing import Any

from kehu.core.money import currency_symbol

LEGEND_HEIGHT = 28  # one line of legend at the top (ECharts: 14 px items, 5 px padding)
MARGIN = 8


def chart_formats(currency: str | None = None) -> dict[str, dict[str, Any]]:
    symbol = currency_symbol(currency)
    return {
        "money": {"prefix": symbol, "suffix": "", "places": 2},
        "money_axis": {"prefix": symbol, "suffix": "", "places": 0},
        "percent": {"prefix": "", "suffix": "%", "places": 1},
        "percent_axis": {"prefix": "", "suffix": "%", "places": 0},
        "count": {"prefix": "", "suffix": "", "places": 0},
    }


def chart_legend() -> dict[str, Any]:
    return {"type": "scroll", "top": 0, "left": "center"}


def chart_grid(*, legend: bool = True) -> dict[str, Any]:
    """The plot area below the legend; the axes' labels and names are laid out inside it
    (``outerBoundsContain: "all"``), so nothing is drawn over them."""
    return {
        "top": MARGIN + (LEGEND_HEIGHT if legend else 0),
        "left": MARGIN,
        "right": 2 * MARGIN,
        "bottom": MARGIN,
        "outerBoundsMode": "same",
        "outerBoundsContain": "all",
    }


def chart_config(currency: str | None = None) -> dict[str, Any]:
    """``formats``, ``legend``, and ``grid`` (below a legend) / ``grid_plain`` (no legend)
    for a page's charts."""
    return {
        "formats": chart_formats(currency),
        "legend": chart_legend(),
        "grid": chart_grid(),
        "grid_plain": chart_grid(legend=False),
    }
