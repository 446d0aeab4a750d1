"""compose: templates → Brief blocks, the one escape boundary for fact text, directives and source notes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import factories
import jinja2
import pytest
from conftest import FIXTURES, REFERENCE_SPEC, TEMPLATES, pdf_text
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph

from briefgen.base import markdown
from briefgen.base.errors import ComposeError
from briefgen.base.model import (
    LANGS,
    Brief,
    BriefSpec,
    Bullets,
    Chart,
    ChartSpec,
    ClaimCheck,
    ClaimSpec,
    Comparison,
    Conflict,
    Digest,
    Fact,
    FactSet,
    Heading,
    KeyFigure,
    KeyNumbers,
    Lang,
    Markup,
    Origin,
    Para,
    PartialDate,
    Quantity,
    Ratio,
    Source,
    Table,
)
from briefgen.compose import compose
from briefgen.compute import lint
from briefgen.load.snapshot import Change
from briefgen.render.render import render_pdf

TODAY = dt.date(2024, 7, 29)
ARTICLE = Source("article", "Daily", "Musk bets on xAI", PartialDate(2024, 7), "", "ja")
FORBES = Source("forbes", "Forbes", "Memphis", PartialDate(2024, 3, 2), "https://forbes.example/x", "en")


def fact(fact_id: str, value: str | None = None, unit: str = "GPU", *, span: tuple[str, str] | None = None,
         event: PartialDate | None = None, source: Source = ARTICLE, label: str = "", quote: str = "q",
         entity: str = "xAI", as_of: PartialDate | None = None) -> Fact:
    q = None
    if value is not None:
        q = Quantity.point(Decimal(value), unit)
    if span is not None:
        q = Quantity(Decimal(span[0]), Decimal(span[1]), unit)
    return Fact(fact_id, entity, fact_id, q, event, as_of, source, quote, Origin("facts.csv", 2),
                label_ja=label or f"{fact_id}（ja）", label_en=label or f"{fact_id} (en)")


def factset(*facts: Fact) -> FactSet:
    return FactSet({f.id: f for f in facts}, {s.id: s for s in (ARTICLE, FORBES)}, "facts.csv")


def ratio(cid: str, a: Fact, b: Fact, kind: str = "ratio") -> Comparison:
    assert a.quantity and b.quantity
    value = Quantity.point(a.quantity.low / b.quantity.low, "1")
    return Comparison(cid, kind, value, (a, b), (a.quantity, b.quantity), "÷")  # type: ignore[arg-type]


def brief_spec(**kw: object) -> BriefSpec:
    base: dict[str, object] = dict(id="t", title={"ja": "題", "en": "Title"}, languages=("ja", "en"),
                                   template="t", facts_path="facts.csv", sources_path="sources.csv",
                                   comparisons=(), key_numbers=(), charts=(), origin="brief.yaml")
    return BriefSpec(**{**base, **kw})  # type: ignore[arg-type]


def env(ja: str, en: str = "") -> jinja2.Environment:
    return compose.environment(jinja2.DictLoader({"t/ja.md": ja, "t/en.md": en or ja}))


H100 = fact("xai_h100_count", "100000", label="xAIのH100")
GPT4 = fact("gpt4_gpu_count", "25000", source=FORBES)
RATIO = ratio("gpu_ratio", H100, GPT4)


def run(template: str, *, lang: Lang = "ja", facts: tuple[Fact, ...] = (H100, GPT4),
        comparisons: tuple[Comparison, ...] = (RATIO,), **kw: object) -> Brief:
    checks = kw.pop("checks", ())
    conflicts = kw.pop("conflicts", ())
    return compose.compose(brief_spec(**kw), factset(*facts), comparisons, lang, TODAY,
                           env(template), checks=checks, conflicts=conflicts)  # type: ignore[arg-type]


# --- filters, notes, brief fields ------------------------------------------------------------------


def test_num_and_formula_carry_note_markers_numbered_by_first_citation() -> None:
    brief = run("{{ f.gpt4_gpu_count|num }}、{{ f.xai_h100_count|num }}、{{ c.gpu_ratio|num }}"
                "（{{ c.gpu_ratio|formula }}）\n\n```sources\n```\n")
    assert brief.blocks == (Para("2万5,000台<super>[1]</super>、10万台<super>[2]</super>、"  # type: ignore[arg-type]
                                 "4倍<super>[2,1]</super>（100,000台 ÷ 25,000台<super>[2,1]</super>）"),)
    assert [n.number for n in brief.notes] == [1, 2]
    assert brief.notes[0].text == "Forbes、「Memphis」、2024年3月2日、https://forbes.example/x"
    assert brief.notes[1].text == "Daily、「Musk bets on xAI」、2024年7月、URLなし"


def test_english_brief_fields() -> None:
    brief = run("# {{ brief.title }}\n\n{{ brief.date|date }}\n\n```sources\n```",
                lang="en", key_numbers=("xai_h100_count", "gpu_ratio"))
    assert brief.blocks == (Heading("Title", 1), Para("July 29, 2024"))  # type: ignore[arg-type]
    assert (brief.title, brief.date, brief.lang, brief.author) == ("Title", TODAY, "en", "briefgen")
    assert brief.subject == "Title — July 29, 2024"
    # no keynumbers panel: the email lists the spec's key numbers under their own labels, no formulas
    assert brief.digest == Digest("", (KeyFigure("100,000 GPUs", "xAIのH100"),
                                       KeyFigure("4×", "xAIのH100 ÷ gpt4_gpu_count (en)")), ())
    assert brief.notes == ()


def test_event_facts_and_partial_dates() -> None:
    founded = fact("xai_founded", event=PartialDate(2023, 7))
    brief = run("{{ f.xai_founded|date }} {{ f.x.as_of|date }}\n\n```sources\n```",
                facts=(founded, fact("x", "1", as_of=PartialDate(2024, 5, 26))), comparisons=())
    assert brief.blocks == (Para("2023年7月<super>[1]</super> 2024年5月26日<super>[1]</super>"),)  # type: ignore[arg-type]


def test_an_as_of_date_printed_bare_is_its_iso_form() -> None:
    brief = run("{{ f.x.as_of }}", facts=(fact("x", "1", as_of=PartialDate(2024, 5)),), comparisons=())
    assert brief.blocks == (Para(Markup("2024&#45;05")),)


@pytest.mark.parametrize("template", ["{{ f.x|num }}", "{{ c.r|formula }}", "```keynumbers\n```",
                                      "```comparisons\n```", "```facts\n```"])
def test_a_figure_without_a_listed_source_fails_instead_of_printing_bare(template: str) -> None:
    stray = Source("blog", "Blog", "t", None, "", "en")
    x = fact("x", "1", source=stray)
    with pytest.raises(ComposeError, match=r"facts\.csv:2: source: \w+: source 'blog' of fact x is not in the sources table"):
        run(template + "\n```sources\n```", facts=(x, H100), comparisons=(ratio("r", x, H100),),
            key_numbers=("x",))


def test_citing_without_a_sources_block_fails() -> None:
    with pytest.raises(ComposeError, match="sources"):
        run("{{ f.xai_h100_count|num }}")


# --- errors name the template and line -------------------------------------------------------------


def test_undefined_name_names_template_and_line() -> None:
    with pytest.raises(ComposeError) as err:
        run("# 見出し\n\n{{ f.no_such_fact|num }}\n")
    assert "t/ja.md:3" in str(err.value) and "no_such_fact" in str(err.value)


def test_filter_on_wrong_value_names_the_line() -> None:
    with pytest.raises(ComposeError, match=r"t/ja\.md:2.*filter num expects"):
        run("ok\n{{ 5|num }}")


def test_syntax_error_surfaces_when_the_environment_is_built() -> None:
    with pytest.raises(ComposeError, match=r"t/en\.md:3: .*valid Jinja2 syntax"):
        env("fine", "a\nb\n{% if %}\n")


def test_unknown_directive_surfaces_when_the_environment_is_built() -> None:
    with pytest.raises(ComposeError, match=r"t/ja\.md:2: unknown directive ```chrat"):
        env("a\n```chrat gpu_counts\n```\n")


def test_the_load_check_and_compose_read_fences_alike() -> None:
    chart_spec = ChartSpec("gpu_counts", {"ja": "GPU数", "en": "GPUs"}, ("xai_h100_count",), "GPU")
    (chart,) = run("```chart\tgpu_counts\n```\n```sources\n```", charts=(chart_spec,)).blocks
    assert isinstance(chart, Chart) and chart.title == "GPU数"
    with pytest.raises(ComposeError, match=r"bad line '```x' in ```keynumbers"):
        run("```keynumbers\n```x\n```\n```sources\n```")


def test_template_env_checks_the_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "ja.md").write_text("ok\n\n{{ unclosed\n", encoding="utf-8")
    with pytest.raises(ComposeError, match=r"ja\.md:3"):
        compose.template_env(tmp_path)
    with pytest.raises(ComposeError, match="templates folder not found"):
        compose.template_env(tmp_path / "missing")


def test_an_edited_template_is_recompiled_despite_the_process_wide_cache(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    template = tmp_path / "x" / "en.md"
    template.write_text("first\n", encoding="utf-8")
    assert compose.template_env(tmp_path).get_template("x/en.md").render() == "first"
    template.write_text("second {{ lang }}\n", encoding="utf-8")
    assert compose.template_env(tmp_path).get_template("x/en.md").render(lang="en") == "second en"


def test_missing_template_is_named() -> None:
    with pytest.raises(ComposeError, match="t/ja.md: template not found"):
        compose.compose(brief_spec(), factset(H100), (), "ja", TODAY,
                        compose.environment(jinja2.DictLoader({})))


# --- escaping: fact text is data -------------------------------------------------------------------

HOSTILE = factories.MARKDOWN_HOSTILE


def printed(markup: str) -> tuple[str, bool]:
    """What ReportLab prints for ``markup``, and whether any of it is bold."""
    para = Paragraph(markup, getSampleStyleSheet()["Normal"])
    return "".join(getattr(f, "text", "") for f in para.frags), any(f.bold for f in para.frags)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_fact_text_prints_literally(text: str) -> None:
    evil = fact("x", "1", label=text, quote=text, entity=text)
    template = ("{{ f.x.label }}\n\n{{ f.x.quote }}\n- {{ f.x.entity }}\n\n```keynumbers\n```\n"
                "```sources\n```\n")
    brief = run(template, facts=(evil,), comparisons=(), key_numbers=("x",))
    para1, para2, bullets, keys = brief.blocks
    assert isinstance(para1, Para) and isinstance(para2, Para) and isinstance(bullets, Bullets)
    assert isinstance(keys, KeyNumbers)
    flat = re.sub(r"\s+", " ", text).strip().replace("\ue000", "").replace("\ue001", "")
    for markup in (para1.text, para2.text, bullets.items[0], keys.items[0].label):
        assert re.sub(r"\s+", " ", printed(markup)[0]).strip() == flat
        assert not printed(markup)[1]
        assert not re.search(r"<(?!/?super>)", markup)
    assert "49" not in para1.text


@pytest.mark.parametrize("name", ["items", "keys", "values", "get", "prefix"])
def test_a_fact_named_like_a_mapping_method_is_the_fact(name: str) -> None:
    named = fact(name, "7")
    brief = run(f"{{{{ f.{name}|num }}}} {{{{ f['{name}']|num }}}} {{{{ '{name}' in f }}}}\n\n```sources\n```\n",
                facts=(named,), comparisons=())
    assert brief.blocks == (Para("7台<super>[1]</super> 7台<super>[1]</super> True"),)  # type: ignore[arg-type]


def test_escape_entities() -> None:
    assert compose.escape("<b>x</b> & **y**\n# z") == "&lt;b&gt;x&lt;/b&gt; &amp; &#42;&#42;y&#42;&#42; &#35; z"


@pytest.mark.parametrize("template", [
    "{{ f.x.label|safe }}", "{{ f.x.label|e }}", "{{ (f.x|num) + f.x.label }}",
    "{{ f.x|num ~ f.x.label }}", "{{ '%s'|format(f.x.label) }}",
])
def test_no_template_route_bypasses_the_escape(template: str) -> None:
    evil = fact("x", "1", label="**b** <i>i</i>\n# h")
    (block,) = run(template + "\n\n```sources\n```", facts=(evil,), comparisons=()).blocks
    assert isinstance(block, Para)
    assert "<b>" not in block.text and "<i>" not in block.text


# --- Markdown subset -------------------------------------------------------------------------------


def test_markdown_blocks() -> None:
    brief = run("# 題\n## 小見出し\n\n一行目の文。\n二行目の文。\n\nfirst line\nsecond **bold** line\n\n"
                "- 箇条一\n  続き\n- item two\nafter\n")
    assert brief.blocks == (  # type: ignore[comparison-overlap]
        Heading("題", 1), Heading("小見出し", 2), Para("一行目の文。二行目の文。"),
        Para("first line second <b>bold</b> line"), Bullets(("箇条一続き", "item two")), Para("after"))


@pytest.mark.parametrize(("template", "message"), [
    ("a **b\n", r"unmatched \*\*"),
    ("x\n```facts\n", r"t/ja\.md:2: the ```facts block is never closed"),
    ("```chart nope\n```", r"```chart 'nope' is not in the brief spec"),
    ("```keynumbers\nnot a pair\n```", "expected id: label"),
    ("```keynumbers\nmissing_id: x\n```", "unknown id 'missing_id'"),
    ("```keynumbers\ngpu_ratio: x\n```", "labels gpu_ratio, which the brief spec does not list"),
])
def test_markdown_and_directive_errors(template: str, message: str) -> None:
    with pytest.raises(ComposeError, match=message):
        run(template)


# --- directives ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("template", "message"), [
    # a loop above the fence makes the rendered text longer: the error names the template's line
    ("{% for i in range(5) %}\nrow {{ i }}\n{% endfor %}\n```chart nope\n```", r"^t/ja\.md:4: ```chart 'nope'"),
    ("{% for i in range(5) %}\nrow {{ i }}\n{% endfor %}\n```facts\n", r"^t/ja\.md:4: the ```facts block is never"),
    ("```sources\n```\n{% if false %}\n\n\n{% endif %}\n```chart nope\n```", r"^t/ja\.md:7: ```chart"),
    # a fence that shares its source line with a tag matches no source line: the rendered line, said to be one
    ("x\n\n{% if true %}```chart nope{% endif %}\n{% if true %}```{% endif %}",
     r"^t/ja\.md \(rendered text\):3: the ```chart block is never closed"),
])
def test_directive_errors_name_the_template_line(template: str, message: str) -> None:
    with pytest.raises(ComposeError, match=message):
        run(template)


def test_keynumbers_with_label_override() -> None:
    brief = run("```keynumbers\ngpu_ratio: **比**\n```\n```sources\n```",
                key_numbers=("xai_h100_count", "gpu_ratio"))
    (keys,) = brief.blocks
    assert isinstance(keys, KeyNumbers)
    assert [(k.figure, k.label) for k in keys.items] == [
        ("10万台<super>[1]</super>", "xAIのH100"), ("4倍<super>[1,2]</super>", "<b>比</b>")]


def test_chart_bars_in_the_chart_unit() -> None:
    chart_spec = ChartSpec("gpu_counts", {"ja": "GPU数", "en": "GPUs"}, ("xai_h100_count", "gpt4_gpu_count"),
                           "GPU")
    (chart,) = run("```chart gpu_counts\n```\n```sources\n```", charts=(chart_spec,)).blocks
    assert isinstance(chart, Chart)
    assert chart.title == "GPU数" and chart.caption == "出典：[1][2]"
    assert [(b.label, b.value, b.display) for b in chart.bars] == [
        ("xAIのH100", 100000.0, "10万台"), ("gpt4_gpu_count（ja）", 25000.0, "2万5,000台")]


def test_comparisons_table() -> None:
    share = ratio("raise_share", fact("a", "6e9", "USD"), fact("b", "1.43e10", "USD"), kind="share")
    (table,) = run("```comparisons\nraise_share: 調達額の比率\n```\n```sources\n```", lang="ja",
                   comparisons=(RATIO, share)).blocks
    assert isinstance(table, Table)
    assert table.header == ("比較", "値", "計算式")
    assert table.rows == (("xAIのH100 ÷ gpt4_gpu_count（ja）", "4倍", "100,000台 ÷ 25,000台 [1,2]"),
                          ("調達額の比率", "42%", "60億ドル ÷ 143億ドル [1]"))


def _claim(cid: str, quote: str, target: str, value: str, unit: str, **kw: object) -> ClaimSpec:
    return ClaimSpec(cid, quote, target, Quantity.point(Decimal(value), unit), Decimal("0.02"),
                     "brief.yaml:30", **kw)  # type: ignore[arg-type]


def test_claims_say_what_the_article_asserts_against_what_the_facts_compute() -> None:
    price = fact("price", span=("3e9", "4e9"), unit="USD")
    share = ratio("share", fact("a", "6e9", "USD"), fact("b", "1.43e10", "USD", source=FORBES), kind="share")
    checks = (
        ClaimCheck(_claim("c1", "総額は40億ドル", "price", "4e9", "USD"), price.quantity,  # type: ignore[arg-type]
                   "holds", position="upper"),
        ClaimCheck(_claim("c2", "半分に相当", "share", "0.5", "1"), share.value, "overstated",
                   deviation=Decimal("0.1916")),
        ClaimCheck(_claim("c3", "4倍", "gpu_ratio", "4", "1"), RATIO.value, "holds", deviation=Decimal(0)),
        ClaimCheck(_claim("c4", "35億ドル以上", "price", "3.5e9", "USD", direction="at_least",
                          acknowledged="seen"), price.quantity, "holds", position="within"),  # type: ignore[arg-type]
    )
    for lang, rows in (("en", (
            ("“総額は40億ドル”", "“$4B” → $3B–4B: ✓ holds [1]", "article used the high end; computed $3B–4B "
             "vs asserted $4B; tolerance ±2%, contradicted beyond ±25%"),
            ("“半分に相当”", "“half” → 42%: ▲ overstated [1,2]",
             "computed 42% vs asserted 50% (+19.2%); tolerance ±2%, contradicted beyond ±25%"),
            ("“4倍”", "“4×” → 4×: ✓ holds [1,2]", "computed 4× vs asserted 4× (±0%); tolerance ±2%, "
             "contradicted beyond ±25%"),
            ("“35億ドル以上”", "“at least $3.5B” → $3B–4B: ✓ holds [1]", "within the range; computed $3B–4B vs "
             "asserted $3.5B; tolerance ±2%, contradicted beyond ±25%; seen"))),
            ("ja", (
            ("「総額は40億ドル」", "「40億ドル」→ 30億〜40億ドル（✓正しい） [1]",
             "上限値を採用；計算値30億〜40億ドル、記事40億ドル。許容差±2%、±25%超は矛盾"),
            ("「半分に相当」", "「半分」→ 42%（▲誇張） [1,2]", "計算値42%、記事50%（+19.2%）。許容差±2%、±25%超は矛盾"),
            ("「4倍」", "「4倍」→ 4倍（✓正しい） [1,2]", "計算値4倍、記事4倍（±0%）。許容差±2%、±25%超は矛盾"),
            ("「35億ドル以上」", "「35億ドル以上」→ 30億〜40億ドル（✓正しい） [1]",
             "範囲内の値；計算値30億〜40億ドル、記事35億ドル。許容差±2%、±25%超は矛盾；seen")))):
        (table,) = run("```claims\n```\n```sources\n```", lang=lang,  # type: ignore[arg-type]
                       facts=(H100, GPT4, price, *share.inputs), comparisons=(RATIO, share),
                       checks=checks).blocks
        assert isinstance(table, Table) and len(table.header) == 3
        assert table.rows == rows


def test_a_claim_on_a_conflicting_fact_names_the_conflict_and_the_value_used() -> None:
    body = fact("val", "2.4e10", "USD", quote="評価額は240億ドル")
    head = fact("val_head", "1.3e11", "USD", quote="1300億ドル", source=FORBES)
    check = ClaimCheck(_claim("c", "評価額1300億ドルを突破", "val", "1.3e11", "USD", direction="at_least"),
                       body.quantity, "contradicted")  # type: ignore[arg-type]
    for lang, check_cell, note in (
            ("en", "“at least $130B” → $24B: ✗ contradicted [1]",
             "computed $24B vs asserted $130B; tolerance ±2%, contradicted beyond ±25%; "
             "conflicting figures: $130B vs $24B → used $24B [1,2]"),
            ("ja", "「1,300億ドル以上」→ 240億ドル（✗矛盾） [1]", "計算値240億ドル、記事1,300億ドル。許容差±2%、±25%超は矛盾；"
             "食い違い：1,300億ドル vs 240億ドル → 240億ドルを採用 [1,2]")):
        (table,) = run("```claims\n```\n```sources\n```", lang=lang,  # type: ignore[arg-type]
                       facts=(body, head), comparisons=(), checks=(check,),
                       conflicts=(Conflict("xAI", "valuation", (body, head), body),)).blocks
        assert isinstance(table, Table)
        assert table.rows[0][1:] == (check_cell, note)


def test_conflicts_and_facts_tables() -> None:
    body = fact("val", "2.4e10", "USD", quote="評価額は240億ドル", as_of=PartialDate(2024, 5, 26))
    head = fact("val_head", "1.3e11", "USD", quote="1300億ドル", source=FORBES)
    conflict = Conflict("xAI", "valuation", (body, head), body)
    brief = run("```conflicts\n```\n```facts\n```\n```sources\n```", facts=(body, head),
                comparisons=(), conflicts=(conflict,))
    conflicts, facts_table = brief.blocks
    assert isinstance(conflicts, Table) and isinstance(facts_table, Table)
    assert conflicts.rows == (("val（ja）", "240億ドル [1]", "「評価額は240億ドル」", "採用"),
                              ("val_head（ja）", "1,300億ドル [2]", "「1300億ドル」", "不採用"))
    assert facts_table.rows == (("val（ja）", "240億ドル", "2024年5月26日", "[1]"),
                                ("val_head（ja）", "1,300億ドル", "—", "[2]"))


def test_sources_say_when_the_date_or_url_is_unknown() -> None:
    undated = Source("memo", "Memo", "Notes", None, "", "en")
    x = fact("x", "1", source=undated)
    for lang, text in (("en", "Memo, “Notes”, date unknown, no URL"), ("ja", "Memo、「Notes」、日付不明、URLなし")):
        brief = compose.compose(brief_spec(), FactSet({"x": x}, {"memo": undated}), (), lang,  # type: ignore[arg-type]
                                TODAY, env("{{ f.x|num }}\n```sources\n```"))
        assert [n.text for n in brief.notes] == [text]


# --- what changed since the last edition -----------------------------------------------------------


def change(kind: str, fact_id: str = "xai_h100_count", old: Quantity | None = None,
           new: Quantity | None = None, **kw: object) -> Change:
    return Change(fact_id, "旧ファクト", "old fact", kind, old, new, **kw)  # type: ignore[arg-type]


GPUS = Quantity.point(Decimal(100000), "GPU")
MORE_GPUS = Quantity.point(Decimal(150000), "GPU")


@pytest.mark.parametrize(("lang", "changes", "expected"), [
    ("ja", None, Para(Markup("初回の号のため、前号との比較はありません。"))),
    ("en", None, Para(Markup("This is the first edition: there is no earlier edition to compare with."))),
    ("ja", (), Para(Markup("前号からの変更はありません。"))),
    ("en", (), Para(Markup("No changes since the last edition."))),
])
def test_changes_without_changes_say_so_in_one_line(lang: Lang, changes: tuple[Change, ...] | None,
                                                   expected: Para) -> None:
    brief = compose.compose(brief_spec(), factset(H100), (), lang, TODAY, env("```changes\n```"),
                            changes=changes)
    assert brief.blocks == (expected,)


def test_changes_list_changed_new_and_removed_facts() -> None:
    start = fact("build_start", event=PartialDate(2024, 4), label="着工")
    changes = (
        change("changed", old=GPUS, new=MORE_GPUS),
        change("new", "gpt4_gpu_count", new=GPT4.quantity),
        change("changed", "build_start", old_event=PartialDate(2024, 3), new_event=PartialDate(2024, 4)),
        change("removed", "old_fact", old=Quantity.point(Decimal("4e9"), "USD")),
    )
    h150 = fact("xai_h100_count", "150000", label="xAIのH100")
    gpt4 = fact("gpt4_gpu_count", "25000", source=FORBES, label="GPT-4")
    expected = {
        "ja": ("xAIのH100：10万台 → 15万台（+50%）<super>[1]</super>",
               "新規：GPT&#45;4：2万5,000台<super>[2]</super>",
               "着工：2024年3月 → 2024年4月<super>[1]</super>",
               "削除：旧ファクト（前号：40億ドル）"),
        "en": ("xAIのH100: 100,000 → 150,000 GPUs (+50%)<super>[1]</super>",
               "New: GPT&#45;4: 25,000 GPUs<super>[2]</super>",
               "着工: March 2024 → April 2024<super>[1]</super>",
               "Removed: old fact (was $4B)"),
    }
    for lang in LANGS:
        brief = compose.compose(brief_spec(), factset(h150, gpt4, start), (), lang,
                                TODAY, env("```changes\n```\n```sources\n```"), changes=changes)
        assert brief.blocks == (Bullets(expected[lang]),)  # type: ignore[arg-type]


def test_a_change_to_a_fact_the_brief_lacks_fails() -> None:
    with pytest.raises(ComposeError, match="ghost has no source to cite"):
        compose.compose(brief_spec(), factset(H100), (), "en", TODAY, env("```changes\n```"),
                        changes=(change("new", "ghost", new=GPUS),))


def test_empty_claims_and_conflicts_say_so() -> None:
    brief = run("```claims\n```\n```conflicts\n```", lang="en")
    assert brief.blocks == (Para("No claims were checked."), Para("No conflicting figures."))  # type: ignore[arg-type]


# --- the real templates ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/templates/*/*.md")), ids=lambda p: p.name)
def test_the_example_templates_type_no_numbers(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert lint.typed_numbers(source, str(path), compose.environment(jinja2.DictLoader({}))) == ()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_reference_brief_composes_from_the_real_data(lang: Lang, no_warnings: None) -> None:
    from briefgen.compute import checks, compare
    from briefgen.load import facts, spec

    brief_spec_ = spec.load_spec(REFERENCE_SPEC)
    fact_set = facts.load_facts(Path(brief_spec_.facts_path), Path(brief_spec_.sources_path))
    comparisons = compare.compute(brief_spec_.comparisons, fact_set)
    brief = compose.compose(brief_spec_, fact_set, comparisons, lang, TODAY,
                            compose.template_env(TEMPLATES),
                            checks=checks.check_claims(brief_spec_.claims, fact_set, comparisons),
                            conflicts=checks.find_conflicts(fact_set))
    kinds = {type(b).__name__ for b in brief.blocks}
    assert kinds == {"Heading", "Para", "Bullets", "KeyNumbers", "Chart", "Table"}
    lede = next(b for b in brief.blocks if isinstance(b, Para) and "<b>" in b.text)
    expected = ("10万台", "2万5,000台", "4倍") if lang == "ja" else ("100,000 GPUs", "25,000 GPUs", "4×")
    assert all(part in lede.text for part in expected)
    assert len([b for b in brief.blocks if isinstance(b, Chart)]) == 2
    assert brief.notes and brief.notes[0].number == 1
    panel = next(b for b in brief.blocks if isinstance(b, KeyNumbers))
    assert brief.digest.headline == markdown.plain(re.match(r"<b>(.*?)</b>", lede.text)[1])  # type: ignore[index]
    assert [k.caption for k in brief.digest.key_numbers] == [markdown.visible(k.label) for k in panel.items]
    assert [k.figure for k in brief.digest.key_numbers] == [markdown.plain(k.figure) for k in panel.items]
    assert not any("[" in k.figure or "÷" in k.caption for k in brief.digest.key_numbers)


# --- an unavailable comparison (if_unavailable: na) -------------------------------------------------

NA_RATIO = Comparison("gpu_ratio", "ratio", None, (), (), "", spec_origin="brief.yaml:5",
                      unavailable="gpt4_gpu_count is 0 GPU, which is or touches zero; cannot divide by it")
NA_SPEC = Ratio(id="gpu_ratio", of="xai_h100_count", to="gpt4_gpu_count", origin="brief.yaml:5", if_unavailable="na")


@pytest.mark.parametrize(("lang", "na"), [("en", "n/a"), ("ja", "算出不可")])
def test_an_unavailable_comparison_prints_na_wherever_its_figure_would_go(lang: Lang, na: str) -> None:
    chart_spec = ChartSpec("g", {"ja": "GPU", "en": "GPUs"}, ("xai_h100_count", "gpu_ratio"), "GPU")
    brief = compose.compose(
        brief_spec(comparisons=(NA_SPEC,), key_numbers=("xai_h100_count", "gpu_ratio"), charts=(chart_spec,)),
        factset(H100, GPT4), (NA_RATIO,), lang, TODAY,
        env("{{ c.gpu_ratio|num }} = {{ c.gpu_ratio|formula }}\n\n```keynumbers\n```\n```comparisons\n```\n"
            "```chart g\n```\n```sources\n```"))
    para, keys, table, chart = brief.blocks
    assert isinstance(para, Para) and para.text == f"{na} = {na}"
    assert isinstance(keys, KeyNumbers) and keys.items[1].figure == na
    assert isinstance(table, Table) and table.rows[0][1:] == (na, na)
    assert isinstance(chart, Chart) and [b.label for b in chart.bars] == ["xAIのH100"]
    named = table.rows[0][0]
    assert chart.caption == {"en": f"Sources: [1] Not drawn (n/a): {named}",
                             "ja": f"出典：[1] 算出不可のため省略：{named}"}[lang]
    assert brief.digest.key_numbers[1] == KeyFigure(na, named)
    text = " ".join([para.text, keys.items[1].figure, *table.rows[0], chart.caption,
                     *(k.figure for k in brief.digest.key_numbers)])
    assert not re.search(r"\binf|nan\b|0%|<super>", text.lower())


def test_a_claim_on_an_unavailable_comparison_is_shown_as_not_checkable() -> None:
    check = ClaimCheck(_claim("c3", "4倍", "gpu_ratio", "4", "1"), None, "unverifiable", NA_RATIO.unavailable)
    for lang, row in (("en", ("“4倍”", "“4×” → n/a: ? not checkable", "")),
                      ("ja", ("「4倍」", "「4倍」→ 算出不可（？検証不可）", ""))):
        brief = compose.compose(brief_spec(comparisons=(NA_SPEC,)), factset(H100, GPT4), (NA_RATIO,),
                                lang, TODAY, env("```claims\n```"), checks=(check,))  # type: ignore[arg-type]
        (table,) = brief.blocks
        assert isinstance(table, Table) and table.rows == (row,)
        assert re.sub(r"\s+", "", row[1]) in re.sub(r"\s+", "", pdf_text(render_pdf(brief)))
