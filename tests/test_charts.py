"""bar_chart: one row per bar, value text at bar ends, truncated labels, embedded font, odd inputs;
line_chart: one column per edition, gaps, values shown while they fit."""

from __future__ import annotations

import logging

import pytest
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect

from briefgen.base.errors import RenderError
from briefgen.base.model import Bar, Chart, LineChart, Point
from briefgen.render import fonts
from briefgen.render.charts import ACCENT, Text, bar_chart, fit, line_chart
from tests.conftest import pdf_text

WIDTH = 470.0


def shapes(drawing: Drawing, kind: type) -> list:
    return [s for s in drawing.contents if isinstance(s, kind)]


def bars_of(drawing: Drawing) -> list[Rect]:
    return [r for r in shapes(drawing, Rect) if r.fillColor == ACCENT]


def strings(drawing: Drawing) -> list[Text]:
    return shapes(drawing, Text)


def texts(drawing: Drawing) -> list[str]:
    return [s.text for s in strings(drawing)]


def runs(drawing: Drawing) -> list[tuple[str, str]]:
    return [(part, face) for s in strings(drawing) for face, part, _ in s.runs]


def chart(count: int) -> Chart:
    return Chart("GPU数の比較", tuple(Bar(f"項目{i}", float(i + 1) * 1000, f"{i + 1}千台") for i in range(count)))


@pytest.mark.parametrize("count", [1, 2, 20])
def test_one_row_per_bar_with_its_value_text(count: int, no_warnings: None) -> None:
    drawing = bar_chart(chart(count), WIDTH, fonts.primary())
    assert len(bars_of(drawing)) == count
    assert all(f"項目{i}" in texts(drawing) and f"{i + 1}千台" in texts(drawing) for i in range(count))
    assert drawing.width == WIDTH and drawing.height >= count * 18


def test_bars_are_proportional_and_values_sit_at_bar_ends() -> None:
    drawing = bar_chart(Chart("t", (Bar("a", 100, "100"), Bar("b", 25, "25"))), WIDTH, fonts.primary())
    big, small = bars_of(drawing)
    assert big.width == pytest.approx(4 * small.width)
    assert big.x + big.width <= WIDTH
    value = next(s for s in strings(drawing) if s.text == "25")
    assert value.x == pytest.approx(small.x + small.width + 3)


def test_zero_values_draw_no_bar_but_keep_their_label(no_warnings: None) -> None:
    drawing = bar_chart(Chart("t", (Bar("zero", 0, "0台"), Bar("one", 1, "1台"))), WIDTH, fonts.primary())
    assert len(bars_of(drawing)) == 1
    assert {"zero", "0台", "one", "1台"} <= set(texts(drawing))


def test_all_zero_values_do_not_divide_by_zero() -> None:
    drawing = bar_chart(Chart("t", (Bar("a", 0, "0"), Bar("b", 0, "0"))), WIDTH, fonts.primary())
    assert bars_of(drawing) == []


def test_negative_values_extend_left_of_zero() -> None:
    drawing = bar_chart(Chart("t", (Bar("up", 10, "+10"), Bar("down", -5, "−5"))), WIDTH, fonts.primary())
    up, down = bars_of(drawing)
    assert down.x + down.width == pytest.approx(up.x)
    assert down.x >= 0


def test_no_bars_prints_an_empty_chart_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="briefgen")
    drawing = bar_chart(Chart("空のグラフ", ()), WIDTH, fonts.primary())
    assert "空のグラフ" in texts(drawing) and bars_of(drawing) == []
    assert any("no bars" in r.getMessage() for r in caplog.records)


def test_a_long_label_is_truncated_with_an_ellipsis() -> None:
    label = "とても長い項目名" * 20
    drawing = bar_chart(Chart("t", (Bar(label, 1, "1"),)), WIDTH, fonts.primary())
    shown = next(t for t in texts(drawing) if t.startswith("とても"))
    assert shown.endswith("…") and len(shown) < len(label)


def test_fit_keeps_short_text_and_cuts_to_width() -> None:
    font = fonts.primary()
    assert fit("短い", font, 10, 100) == "短い"
    assert fit("x" * 200, font, 10, 50).endswith("…")


def test_non_finite_values_are_render_errors() -> None:
    with pytest.raises(RenderError, match="bar 'a' has value nan"):
        bar_chart(Chart("t", (Bar("a", float("nan"), "?"),)), WIDTH, fonts.primary())


def test_japanese_labels_draw_in_the_embedded_font_and_extract_back() -> None:
    drawing = bar_chart(chart(3), WIDTH, fonts.primary())
    assert {face for _, face in runs(drawing)} == {fonts.PRIMARY, fonts.LATIN}
    faces = dict(runs(drawing))  # Latin in Noto Sans inside Japanese, as in the paragraphs
    assert (faces["GPU"], faces["数の比較"], faces["項目"], faces["3"], faces["千台"]) == (
        fonts.LATIN, fonts.PRIMARY, fonts.PRIMARY, fonts.LATIN, fonts.PRIMARY)
    text = pdf_text(renderPDF.drawToString(drawing))
    assert "GPU数の比較" in text and "項目2" in text and "3千台" in text


def test_a_label_is_drawn_in_runs_and_ends_at_the_label_column() -> None:
    drawing = bar_chart(Chart("t", (Bar("xAIのH100", 1, "1"), Bar("b", 2, "2"))), WIDTH, fonts.primary())
    label = next(s for s in strings(drawing) if s.text == "xAIのH100")
    assert [(part, face) for face, part, _ in label.runs] == [
        ("xAI", fonts.LATIN), ("の", fonts.PRIMARY), ("H100", fonts.LATIN)]
    assert label.x + label.width == pytest.approx(fonts.width("xAIのH100", fonts.primary(), 8.5))
    assert "xAIのH100 1" in pdf_text(renderPDF.drawToString(drawing)).splitlines()  # label read whole, then value


def dashed(drawing: Drawing) -> list[Line]:
    return [line for line in shapes(drawing, Line) if line.strokeDashArray]


def test_a_line_has_a_column_per_edition_and_a_dot_per_value(no_warnings: None) -> None:
    points = (Point("7/1", 150.0, "150 MW"), Point("7/8", None), Point("7/15", 300.0, "300 MW"))
    drawing = line_chart(LineChart("Power", points), WIDTH, fonts.primary())
    assert len(shapes(drawing, Circle)) == 2
    assert {"Power", "7/1", "7/8", "7/15", "150 MW", "300 MW"} <= set(texts(drawing))
    dots = shapes(drawing, Circle)
    assert dots[0].cy < dots[1].cy and dots[1].cx - dots[0].cx == pytest.approx(2 * WIDTH / 3)
    # 7/8 reported no value: the two dots are joined by a dashed line, never by a solid one
    assert shapes(drawing, PolyLine) == []
    [gap] = dashed(drawing)
    assert (gap.x1, gap.y1, gap.x2, gap.y2) == (dots[0].cx, dots[0].cy, dots[1].cx, dots[1].cy)


def test_editions_that_follow_one_another_are_joined_by_a_solid_line_and_a_gap_by_a_dashed_one() -> None:
    values = (100.0, 120.0, None, None, 150.0, 160.0, None, 170.0)
    points = tuple(Point(f"7/{i + 1}", v, "" if v is None else f"{v:.0f}") for i, v in enumerate(values))
    drawing = line_chart(LineChart("Power", points), WIDTH, fonts.primary())
    dots = [(c.cx, c.cy) for c in shapes(drawing, Circle)]
    solid = [list(zip(p.points[::2], p.points[1::2])) for p in shapes(drawing, PolyLine)]
    assert solid == [dots[0:2], dots[2:4]]  # 7/1–7/2 and 7/5–7/6; 7/8 stands alone
    assert [((g.x1, g.y1), (g.x2, g.y2)) for g in dashed(drawing)] == [(dots[1], dots[2]), (dots[3], dots[4])]


def test_a_crowded_line_shows_only_its_first_and_last_values(no_warnings: None) -> None:
    points = tuple(Point(f"{i}/1", float(i), f"{i}0000000 megawatts") for i in range(1, 13))
    shown = [t for t in texts(line_chart(LineChart("Power", points), WIDTH, fonts.primary())) if "megawatts" in t]
    assert shown == ["10000000 megawatts", "120000000 megawatts"]


def test_a_line_with_no_value_or_a_flat_one_draws_and_a_non_finite_one_is_refused() -> None:
    assert shapes(line_chart(LineChart("P", (Point("7/1", None),)), WIDTH, fonts.primary()), Circle) == []
    flat = line_chart(LineChart("P", (Point("a", 5.0, "5"), Point("b", 5.0, "5"))), WIDTH, fonts.primary())
    assert len({c.cy for c in shapes(flat, Circle)}) == 1
    with pytest.raises(RenderError, match="has value inf"):
        line_chart(LineChart("P", (Point("a", float("inf"), "x"),)), WIDTH, fonts.primary())
