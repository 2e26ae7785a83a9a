"""Accessible inline SVG charts, drawn on the server without JavaScript.

Every piece of markup goes through format_html, so text from the catalogue is escaped.
Colours come from CSS classes (chart-series-0 … chart-series-9 in site.css) because the
Content Security Policy forbids inline styles. Each chart is role="img", labelled by its
own <title> and <desc>; the page shows the same numbers in a table beside it.
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE_SIZE = 10
NO_DATA_MESSAGE = "No published stories to chart yet."
_CHART_ID = re.compile(r"[a-z][a-z0-9-]*\Z")
_MAX_LABEL_LENGTH = 80


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal bar chart; `series` picks its palette colour."""

    label: str
    value: int
    series: int = 0


@dataclass(frozen=True)
class Series:
    """One layer of a stacked bar chart: a value per category, in category order."""

    label: str
    values: tuple[int, ...]


def series_class(index: int) -> str:
    """The CSS class of a palette colour; the palette repeats after ten colours."""
    return f"chart-series-{index % PALETTE_SIZE}"


def chart_legend(labels: Sequence[str], *, name: str) -> SafeString:
    """An HTML list pairing each series colour with its label, for a stacked chart."""
    if not labels:
        return format_html("{}", "")
    items = format_html_join(
        "",
        '<li><span class="chart-swatch {}" aria-hidden="true"></span>{}</li>',
        ((series_class(index), label) for index, label in enumerate(labels)),
    )
    return format_html('<ul class="chart-legend" aria-label="{}">{}</ul>', name, items)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    bar_labels: Sequence[int] | None = None,
) -> SafeString:
    """Vertical bars, one per category, each stacked from the series in order.

    The number above a bar is its height, or `bar_labels` when the layers overlap (a
    story counted in several areas): then it is what the bar stands for, not their sum."""
    for layer in series:
        if len(layer.values) != len(categories):
            raise ValueError(f"series {layer.label!r} needs one value per category")
    totals = [sum(max(layer.values[i], 0) for layer in series) for i in range(len(categories))]
    if not any(totals):
        return _no_data_chart(chart_id=chart_id, title=title)
    labels = list(bar_labels) if bar_labels is not None else totals
    if len(labels) != len(categories):
        raise ValueError("bar_labels needs one value per category")

    frame = _ColumnFrame.fit(tallest=max(totals), columns=len(categories))
    parts = _value_grid(frame)
    for index, category in enumerate(categories):
        parts += _stacked_column(frame, index, category, series, label=labels[index])
    parts += _column_axes(frame, x_label=x_label, y_label=y_label)

    tallest = max(range(len(totals)), key=totals.__getitem__)
    summary = f"{description} Tallest bar: {categories[tallest]}, {labels[tallest]}."
    return _svg(chart_id, frame.width, frame.height, title, summary, parts, css="chart-stacked")


@dataclass(frozen=True)
class _ColumnFrame:
    """Where a chart of vertical bars draws: the plot area, its value scale and columns."""

    width: int
    height: int
    left: int
    right: int
    top: int
    plot_width: int
    plot_height: int
    axis_max: int
    step: int
    columns: int

    @classmethod
    def fit(cls, *, tallest: int, columns: int) -> "_ColumnFrame":
        width, height = 880, 400
        left, right, top, bottom = 64, 16, 28, 56
        axis_max, step = _axis(tallest)
        return cls(
            width=width,
            height=height,
            left=left,
            right=right,
            top=top,
            plot_width=width - left - right,
            plot_height=height - top - bottom,
            axis_max=axis_max,
            step=step,
            columns=columns,
        )

    @property
    def baseline(self) -> int:
        return self.top + self.plot_height

    @property
    def scale(self) -> float:
        return self.plot_height / self.axis_max

    @property
    def band(self) -> float:
        return self.plot_width / self.columns

    @property
    def bar_width(self) -> float:
        return min(self.band * 0.72, 64)

    @property
    def label_every(self) -> int:
        """Show every n-th category label so four-digit years never overlap."""
        return max(1, math.ceil(40 / self.band))


def _value_grid(frame: _ColumnFrame) -> list[SafeString]:
    """A gridline with its value at each step of the scale."""
    parts = []
    for tick in range(0, frame.axis_max + 1, frame.step):
        y = frame.baseline - tick * frame.scale
        parts.append(_gridline(frame.left, y, frame.width - frame.right, y))
        parts.append(_text(frame.left - 8, y + 4, tick, css="chart-tick", anchor="end"))
    return parts


def _stacked_column(
    frame: _ColumnFrame, index: int, category: str, series: Sequence[Series], *, label: int
) -> list[SafeString]:
    """One category's bar: its positive layers bottom up, its label above, its name below."""
    parts = []
    x = frame.left + index * frame.band + (frame.band - frame.bar_width) / 2
    y: float = frame.baseline
    for layer_index, layer in enumerate(series):
        value = layer.values[index]
        if value <= 0:
            continue
        segment = value * frame.scale
        y -= segment
        parts.append(
            _rect(
                x,
                y,
                frame.bar_width,
                segment,
                css=f"chart-segment {series_class(layer_index)}",
                tooltip=f"{category}, {layer.label}: {value}",
            )
        )
    center = x + frame.bar_width / 2
    if y < frame.baseline:  # the bar has a height
        parts.append(_text(center, y - 6, label, css="chart-value", anchor="middle"))
    if index % frame.label_every == 0:
        parts.append(
            _text(center, frame.baseline + 20, category, css="chart-tick", anchor="middle")
        )
    return parts


def _column_axes(frame: _ColumnFrame, *, x_label: str, y_label: str) -> list[SafeString]:
    """The baseline and both axis titles, the value axis's turned upright."""
    return [
        _axis_line(frame.left, frame.baseline, frame.width - frame.right, frame.baseline),
        _text(
            frame.left + frame.plot_width / 2,
            frame.height - 10,
            x_label,
            css="chart-axis-title",
            anchor="middle",
        ),
        format_html(
            '<text class="chart-axis-title" x="{}" y="{}" text-anchor="middle" '
            'transform="rotate(-90)">{}</text>',
            _number(-(frame.top + frame.plot_height / 2)),
            18,
            y_label,
        ),
    ]


def horizontal_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    x_label: str,
) -> SafeString:
    """One labelled horizontal bar per item, in the order given, label above the bar."""
    bars = [bar for bar in bars if bar.value > 0]
    if not bars:
        return _no_data_chart(chart_id=chart_id, title=title)

    row_height = 40
    width = 560
    left, right, top, bottom = 8, 48, 8, 52
    plot_width = width - left - right
    plot_bottom = top + row_height * len(bars)
    height = plot_bottom + bottom
    axis_max, step = _axis(max(bar.value for bar in bars))
    scale = plot_width / axis_max

    parts: list[SafeString] = []
    for tick in range(0, axis_max + 1, step):
        x = left + tick * scale
        parts.append(_gridline(x, top, x, plot_bottom))
        parts.append(_text(x, plot_bottom + 18, tick, css="chart-tick", anchor="middle"))

    for index, bar in enumerate(bars):
        y = top + index * row_height
        length = bar.value * scale
        parts.append(_text(left + 4, y + 14, _shorten(bar.label), css="chart-label"))
        parts.append(
            _rect(
                left,
                y + 19,
                length,
                15,
                css=series_class(bar.series),
                tooltip=f"{bar.label}: {bar.value}",
            )
        )
        parts.append(_text(left + length + 6, y + 31, bar.value, css="chart-value"))

    parts.append(_axis_line(left, top, left, plot_bottom))
    parts.append(
        _text(left + plot_width / 2, height - 10, x_label, css="chart-axis-title", anchor="middle")
    )

    largest = max(bars, key=lambda bar: bar.value)
    summary = f"{description} Largest: {largest.label}, {largest.value}."
    return _svg(chart_id, width, height, title, summary, parts, css="chart-horizontal")


def _no_data_chart(*, chart_id: str, title: str) -> SafeString:
    width, height = 640, 120
    message = _text(width / 2, height / 2 + 5, NO_DATA_MESSAGE, css="chart-empty", anchor="middle")
    return _svg(chart_id, width, height, title, NO_DATA_MESSAGE, [message], css="chart-no-data")


def _svg(
    chart_id: str,
    width: int,
    height: float,
    title: str,
    description: str,
    parts: Iterable[SafeString],
    *,
    css: str,
) -> SafeString:
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart_id must be lowercase letters, digits and dashes: {chart_id!r}")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {w} {h}" '
        'role="img" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        css=css,
        w=width,
        h=_number(height),
        id=chart_id,
        title=title,
        desc=description,
        body=format_html_join("", "{}", ((part,) for part in parts)),
    )


def _rect(x: float, y: float, width: float, height: float, *, css: str, tooltip: str) -> SafeString:
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        css,
        _number(x),
        _number(y),
        _number(width),
        _number(height),
        tooltip,
    )


def _text(x: float, y: float, content: object, *, css: str, anchor: str = "start") -> SafeString:
    return format_html(
        '<text class="{}" x="{}" y="{}" text-anchor="{}">{}</text>',
        css,
        _number(x),
        _number(y),
        anchor,
        content,
    )


def _gridline(x1: float, y1: float, x2: float, y2: float) -> SafeString:
    return _line(x1, y1, x2, y2, css="chart-grid")


def _axis_line(x1: float, y1: float, x2: float, y2: float) -> SafeString:
    return _line(x1, y1, x2, y2, css="chart-axis")


def _line(x1: float, y1: float, x2: float, y2: float, *, css: str) -> SafeString:
    return format_html(
        '<line class="{}" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        css,
        _number(x1),
        _number(y1),
        _number(x2),
        _number(y2),
    )


def _axis(maximum: int) -> tuple[int, int]:
    """A round axis maximum at or above `maximum`, and a tick step giving about five ticks."""
    raw = max(maximum, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return max(step, math.ceil(maximum / step) * step), step


def _shorten(label: str) -> str:
    if len(label) <= _MAX_LABEL_LENGTH:
        return label
    return label[: _MAX_LABEL_LENGTH - 1].rstrip() + "…"


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
