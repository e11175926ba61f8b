"""Charts as inline SVG, drawn on the server: nothing to bundle, nothing fetched from elsewhere,
readable without JavaScript. Each chart is an `<svg role="img">` named by its `<title>` and
described by its `<desc>` for screen readers; every bar and point carries its own `<title>` (a
tooltip on hover). Pages put the numbers in a table beside each chart as well.

Colours are the Okabe–Ito palette (distinguishable with colour-blindness); text takes the page's
font (Sarabun / Noto Sans Thai) through CSS.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per x label; None: no value (the line breaks there)
    color: str | None = None
    dashed: bool = False


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"


def nice_step(value: float, steps: int = 4) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ such that `steps` of it reach `value`: axis ticks that
    read well (0, 2, 4, 6, 8 or 0, 25, 50, 75, 100; never 0, 1.25, 2.5 …)."""
    if value <= 0:
        return 0.25
    need = value / steps
    power = 10 ** math.floor(math.log10(need))
    for step in (1, 2, 2.5, 5, 10):
        if need <= step * power + 1e-9:
            return step * power
    return 10 * power


def _open(width: int, height: int, title: str, description: str, css_class: str) -> list[str]:
    uid = f"chart{next(_ids)}"
    # Its own size at most (text stays the size it was drawn at), smaller on a narrow screen (CSS).
    parts = [f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMidYMid meet" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{uid}-t">{_e(title)}</title>', f'<desc id="{uid}-d">{_e(description or title)}</desc>']
    return parts


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, description: str = "", unit: str = "",
              width: int = 640, fmt: Callable[[float], str] = _fmt) -> Markup:
    """Horizontal bars, one per (label, value): room for Thai labels. Narrower than 500 (a phone),
    each label goes above its bar instead of beside it."""
    stacked = width < 500
    row, label_w, top = (46, 0, 8) if stacked else (30, 200, 8)
    height = top * 2 + row * max(1, len(items))
    parts = _open(width, height, title, description, "bar-chart")
    if not items:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" class="muted">ไม่มีข้อมูล</text>')
    biggest = max((v for _, v in items), default=0) or 1
    bar_space = width - label_w - 90
    for i, (label, value) in enumerate(items):
        y = top + i * row
        bar_y, bar_h = (y + 22, row - 28) if stacked else (y + 5, row - 10)
        length = 0 if not value else max(2.0, bar_space * value / biggest)
        shown = f"{fmt(value)}{(' ' + unit) if unit else ''}"
        text = (f'<text x="0" y="{y + 15}" class="label">{_e(label)}</text>' if stacked else
                f'<text x="{label_w - 8}" y="{y + row / 2 + 5}" text-anchor="end" class="label">{_e(label)}</text>')
        parts.append(f'<g><title>{_e(label)}: {_e(shown)}</title>{text}'
                     f'<rect x="{label_w}" y="{bar_y}" width="{length:.1f}" height="{bar_h}" rx="3" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text x="{label_w + length + 6:.1f}" y="{bar_y + bar_h / 2 + 5}" class="value">{_e(shown)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(x_labels: Sequence[str], series: Sequence[Series], *, title: str, description: str = "",
               unit: str = "", y_max: float | None = None, reference: tuple[float, str] | None = None,
               width: int = 720, height: int = 300, fmt: Callable[[float], str] = _fmt) -> Markup:
    """Lines over evenly spaced x labels (weeks), a gap where a value is missing; `reference` draws
    a dashed line at a value (a target) with its label. The legend wraps when it is wider than the
    chart."""
    left, right, bottom = 48, 16, 30
    legend, x, line = [], left, 0
    for index, s in enumerate(series):
        item_width = 30 + _text_width(s.name)
        if x + item_width > width - right and x > left:
            x, line = left, line + 1
        color = s.color or PALETTE[index % len(PALETTE)]
        y = 6 + line * 20
        legend.append(f'<rect x="{x}" y="{y}" width="14" height="14" rx="2" fill="{color}"/>'
                      f'<text x="{x + 20}" y="{y + 12}" class="legend">{_e(s.name)}</text>')
        x += item_width + 14
    top = 34 + line * 20
    height += line * 20
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = _open(width, height, title, description, "line-chart")
    parts.extend(legend)
    values = [v for s in series for v in s.values if v is not None]
    if reference is not None:
        values.append(reference[0])
    top_value = y_max if y_max is not None else 4 * nice_step(max(values, default=0))
    n = len(x_labels)

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if n <= 1 else plot_w * i / (n - 1))

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * min(v, top_value) / top_value

    # axes and grid
    for k in range(5):
        v = top_value * k / 4
        y = y_at(v)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_e(fmt(v))}</text>')
    if unit:
        parts.append(f'<text x="{left - 6}" y="{top - 12}" text-anchor="end" class="tick">{_e(unit)}</text>')
    step = max(1, math.ceil(n / max(2, plot_w // 80)))  # a label every 80 px or more
    for i in range(0, n, step):
        parts.append(f'<text x="{x_at(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" class="tick">'
                     f'{_e(x_labels[i])}</text>')
    if reference is not None:
        y = y_at(reference[0])
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="reference"/>'
                     f'<text x="{width - right}" y="{y - 5:.1f}" text-anchor="end" class="tick">{_e(reference[1])}</text>')
    if not values or not n:
        parts.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" class="muted">'
                     "ไม่มีข้อมูล</text>")
    # the lines, broken where a value is missing; a lone point is still drawn (its circle)
    for index, s in enumerate(series):
        color = s.color or PALETTE[index % len(PALETTE)]
        path, pen_down = [], False
        for i, v in enumerate(s.values):
            if v is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x_at(i):.1f} {y_at(v):.1f}")
            pen_down = True
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2.5"{dash}/>')
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(f'<circle cx="{x_at(i):.1f}" cy="{y_at(v):.1f}" r="3" fill="{color}">'
                             f'<title>{_e(s.name)} · {_e(x_labels[i])}: {_e(fmt(v))}{(" " + _e(unit)) if unit else ""}'
                             '</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def responsive(draw: Callable[..., Markup], *args, wide: int, narrow: int = 380, **kwargs) -> Markup:
    """The chart drawn twice, for a wide screen and for a phone; CSS shows one. Text in an SVG
    scales with it, so one drawing shrunk onto a phone would be too small to read."""
    return Markup(f'<div class="chart-wide">{draw(*args, width=wide, **kwargs)}</div>'
                  f'<div class="chart-narrow">{draw(*args, width=narrow, **kwargs)}</div>')


def _text_width(text: str) -> float:
    """About how wide `text` is at 13 px: Thai above- and below-base marks take no width."""
    return 7.5 * sum(1 for ch in text if not _combining(ch))


def _combining(ch: str) -> bool:
    return unicodedata.category(ch) == "Mn"
