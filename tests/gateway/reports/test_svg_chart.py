"""Report periods and the hand-written SVG chart (well-formed, escaped, renderable)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.primitives.xmlsafe import parse_xml
from gateway.reports.periods import PeriodKind, periods
from gateway.reports.svg_chart import GOAL_TEXT, SERIES, self_service_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_months_are_clipped_to_the_range() -> None:
    found = periods(dt.date(2026, 1, 15), dt.date(2026, 3, 3), PeriodKind.MONTH)
    assert [(p.label, p.first.isoformat(), p.last.isoformat()) for p in found] == [
        ("2026-01", "2026-01-15", "2026-01-31"), ("2026-02", "2026-02-01", "2026-02-28"),
        ("2026-03", "2026-03-01", "2026-03-03")]


def test_iso_weeks_across_a_year_end() -> None:
    found = periods(dt.date(2026, 12, 30), dt.date(2027, 1, 5), PeriodKind.WEEK)
    assert [(p.label, p.first.isoformat(), p.last.isoformat()) for p in found] == [
        ("2026-W53", "2026-12-30", "2027-01-03"), ("2027-W01", "2027-01-04", "2027-01-05")]


def _row(label: str, booked: int, *share_values: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"period": label, "booked": booked}
    row.update({key: value for (key, _, _), value in zip(SERIES, share_values, strict=True)})
    return row


def _report(rows: list[dict[str, Any]], unit_name: str | None = "Vårdcentralen <Gärdet> & Co") -> dict[str, Any]:
    return {"unit": "SE2321000131-E000000000001", "unit_name": unit_name, "from": "2026-01-01", "to": "2026-02-28",
            "period": "month", "periods": rows, "total": {"booked": sum(row["booked"] for row in rows)},
            "free_slot_horizon": {"reference_date": "2026-02-28", "weeks": 9.0, "goal_weeks": 8, "met": True}}


@pytest.fixture
def chart() -> str:
    return self_service_chart(_report([_row("2026-01", 0, None, None, None), _row("2026-02", 4, 1.0, 0.25, 0.5)]))


def test_chart_is_well_formed_and_escapes_names(chart: str) -> None:
    root = parse_xml(chart.encode())
    assert root.tag == f"{SVG}svg"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "1177 self-service: Vårdcentralen <Gärdet> & Co (SE2321000131-E000000000001)" in texts
    assert {"2026-01", "2026-02", "n = 4", "100 %", "25 %", "50 %", "no bookings", GOAL_TEXT} <= set(texts)
    assert any("9.0 weeks" in (text or "") and "goal met" in (text or "") for text in texts)
    assert len(list(root.iter(f"{SVG}rect"))) == 1 + len(SERIES) + 3  # background, legend, three bars


def test_many_periods_rotate_their_labels() -> None:
    rows = [_row(f"2026-W{week:02d}", 1, 1.0, 0.0, 0.0) for week in range(1, 21)]
    root = parse_xml(self_service_chart(_report(rows, unit_name=None)).encode())
    labels = [element for element in root.iter(f"{SVG}text") if (element.text or "").startswith("2026-W")]
    assert len(labels) == 20 and all("rotate(-45" in element.get("transform", "") for element in labels)


@pytest.mark.skipif(shutil.which("rsvg-convert") is None and importlib.util.find_spec("cairosvg") is None,
                    reason="no SVG renderer installed (rsvg-convert or cairosvg)")
def test_chart_renders_to_png(chart: str, tmp_path: Path) -> None:
    source, target = tmp_path / "chart.svg", tmp_path / "chart.png"
    source.write_text(chart, encoding="utf-8")
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", str(source), "-o", str(target)], check=True, timeout=60)
    else:
        import cairosvg  # type: ignore[import-not-found]  # noqa: PLC0415

        cairosvg.svg2png(url=str(source), write_to=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
