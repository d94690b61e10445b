"""The self-service report as an SVG chart, written by hand (no plotting dependency).

Grouped bars per period (share cancellable, reschedulable, self-booked, 0–100 %), the level-1 goal
(every booked time cancellable: 100 %) as a dashed line, the count of booked times under each
period, and the free-slot horizon against its eight-week goal as a line of text under the chart.
Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["GOAL_TEXT", "SERIES", "self_service_chart"]

JSON = dict[str, Any]
WIDTH, HEIGHT = 860, 500
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 24, 116, 92  # margins around the plot area
# (report key, legend text, colour)
SERIES = (
    ("share_cancellable", "Citizen may cancel", "#0072B2"),
    ("share_reschedulable", "Citizen may reschedule", "#E69F00"),
    ("share_self_booked", "Booked by the citizen (1177 or open invitation)", "#009E73"),
)
_GOAL_COLOUR, _MET, _NOT_MET = "#D55E00", "#007A4D", "#B00020"
GOAL_TEXT = "Goal, level 1: every booked time can be cancelled (100 %)"


def _text(x: float, y: float, content: str, **attributes: str | float) -> str:
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(str(value))}" for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _axes(plot_w: float, plot_h: float) -> list[str]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        y = _TOP + plot_h * (1 - tick / 100)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#444" if tick == 0 else "#ddd"}" stroke-width="1"/>')
        parts.append(_text(_LEFT - 8, y + 4, f"{tick} %", text_anchor="end", font_size=12, fill="#444"))
    parts.append(f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h:.1f}" stroke="#444"/>')
    parts.append(_text(16, _TOP + plot_h / 2, "share of booked times", font_size=12, fill="#444",
                       text_anchor="middle", transform=f"rotate(-90 16 {_TOP + plot_h / 2:.1f})"))
    return parts


def _legend() -> list[str]:
    parts, x = [], float(_LEFT)
    for _, label, colour in SERIES:
        parts.append(f'<rect x="{x:.1f}" y="62" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 17, 72, label, font_size=12, fill="#222"))
        x += 30 + 6.6 * len(label)
    # The goal gets its own legend line: written on the chart it would cross the bars' labels.
    parts.append(f'<line x1="{_LEFT}" y1="91" x2="{_LEFT + 12}" y2="91" stroke="{_GOAL_COLOUR}" stroke-width="2" '
                 'stroke-dasharray="4 2"/>')
    parts.append(_text(_LEFT + 17, 95, GOAL_TEXT, font_size=12, fill=_GOAL_COLOUR))
    return parts


def _bars(rows: list[JSON], plot_w: float, plot_h: float) -> list[str]:
    parts: list[str] = []
    slot = plot_w / max(len(rows), 1)
    bar = min(36.0, slot * 0.8 / len(SERIES))
    rotate = len(rows) > 12
    for index, row in enumerate(rows):
        centre = _LEFT + slot * (index + 0.5)
        left = centre - bar * len(SERIES) / 2
        for number, (key, label, colour) in enumerate(SERIES):
            share = row[key]
            if share is None:
                continue
            height = max(plot_h * share, 1.5)  # a zero share still shows as a sliver: known, not missing
            x, y = left + number * bar, _TOP + plot_h - height
            tooltip = escape(f"{row['period']}: {label} {_percent(share)}")
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{height:.1f}" '
                         f'fill="{colour}"><title>{tooltip}</title></rect>')
            if bar >= 22:
                # A label of a full bar goes inside it, below the goal line.
                inside = share > 0.92
                parts.append(_text(x + (bar - 2) / 2, y + 14 if inside else y - 4, _percent(share),
                                   text_anchor="middle", font_size=11, fill="#fff" if inside else "#222"))
        if row["booked"] == 0:
            parts.append(_text(centre, _TOP + plot_h - 8, "no bookings", text_anchor="middle", font_size=11,
                               fill="#777", font_style="italic"))
        base = _TOP + plot_h
        if rotate:
            parts.append(_text(centre, base + 14, row["period"], text_anchor="end", font_size=11, fill="#222",
                               transform=f"rotate(-45 {centre:.1f} {base + 14:.1f})"))
        else:
            parts.append(_text(centre, base + 18, row["period"], text_anchor="middle", font_size=12, fill="#222"))
            parts.append(_text(centre, base + 34, f"n = {row['booked']}", text_anchor="middle", font_size=11,
                               fill="#555"))
    return parts


def _goal_line(plot_w: float) -> str:
    return (f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT + plot_w:.1f}" y2="{_TOP}" stroke="{_GOAL_COLOUR}" '
            'stroke-width="2" stroke-dasharray="8 5"/>')


def _horizon(report: JSON) -> str:
    horizon = report["free_slot_horizon"]
    verdict = "goal met" if horizon["met"] else "goal NOT met"
    text = (f"Free times reach {horizon['weeks']} weeks ahead of {horizon['reference_date']} "
            f"(goal: {horizon['goal_weeks']} weeks) - {verdict}")
    return _text(_LEFT, HEIGHT - 14, text, font_size=13, font_weight="bold",
                 fill=_MET if horizon["met"] else _NOT_MET)


def self_service_chart(report: JSON) -> str:
    """An SVG document (UTF-8 text) of one unit's report."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    unit = report["unit"]
    title = f"1177 self-service: {report['unit_name']} ({unit})" if report.get("unit_name") else \
        f"1177 self-service: {unit}"
    total = report["total"]
    subtitle = (f"{report['from']} to {report['to']}, per {report['period']}; "
                f"{total['booked']} booked times in all")
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)} '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        _text(_LEFT, 26, title, font_size=17, font_weight="bold", fill="#111"),
        _text(_LEFT, 46, subtitle, font_size=12, fill="#444"),
        *_legend(),
        *_axes(plot_w, plot_h),
        *_bars(report["periods"], plot_w, plot_h),
        _goal_line(plot_w),
        _horizon(report),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
