"""spec: brief.yaml → BriefSpec, every problem located by file, line and key path; the reference spec."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
import yaml
from conftest import DATA, FIXTURES, REFERENCE_SPEC

from briefgen.base.errors import SpecError
from briefgen.base.model import (
    COMPARISON_TYPES,
    ComparisonKind,
    ComparisonSpec,
    Convert,
    Currency,
    Difference,
    Pace,
    Product,
    Quantity,
    Rank,
    Ratio,
    Share,
    Slot,
    Sum,
)
from briefgen.compute.compare import compute
from briefgen.load.facts import load_facts
from briefgen.load.spec import KINDS, UNIT_FORM, comparison_entry, find_specs, key_path, load_spec

FX = FIXTURES / "facts"

#: The ids docs/architecture.md promises for the reference brief.
DOC_COMPARISONS = ("gpu_ratio", "raise_share", "gpu_difference", "round_rank", "cluster_cost_est",
                   "anthropic_total", "water_m3", "power_per_household", "energy_per_year",
                   "cluster_cost_cny_calc", "xai_pace", "openai_pace", "pace_ratio", "oracle_share")
DOC_CLAIMS = ("c_gpu_4x", "c_half", "c_total_cost", "c_cny", "c_valuation")
DOC_KEY_NUMBERS = ("xai_h100_count", "gpu_ratio", "cluster_cost_est", "raise_share", "colossus_power", "water_m3")

MINIMAL = """\
id: tiny
title: {ja: "小さな", en: "Tiny"}
languages: [ja, en]
template: tiny
facts: facts.csv
sources: sources.csv
"""


def write_spec(tmp_path: Path, text: str) -> Path:
    for name in ("facts.csv", "sources.csv"):
        (tmp_path / name).write_bytes((FX / name).read_bytes())
    path = tmp_path / "brief.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(p) for p in info.value.problems]


def test_reference_spec_loads_with_every_documented_id(no_warnings: None) -> None:
    spec = load_spec(REFERENCE_SPEC)
    assert spec.id == "xai-colossus" and spec.languages == ("ja", "en")
    assert spec.title == {"ja": "xAIのメンフィス・スーパーコンピューター：数字で読む",
                          "en": "xAI's Memphis supercomputer, by the numbers"}
    assert tuple(c.id for c in spec.comparisons) == DOC_COMPARISONS
    assert tuple(c.id for c in spec.claims) == DOC_CLAIMS
    assert tuple(c.id for c in spec.charts) == ("gpu_counts", "funding_rounds")
    assert spec.key_numbers == DOC_KEY_NUMBERS
    assert spec.schedule == Slot("monday", dt.time(8, 0), "Asia/Tokyo")
    assert Path(spec.facts_path) == REFERENCE_SPEC.parent / "facts.csv"
    assert Path(spec.sources_path) == REFERENCE_SPEC.parent / "sources.csv"
    assert spec.template == "xai-colossus" and spec.block_on_contradicted and spec.origin == str(REFERENCE_SPEC)


def test_reference_spec_arguments_and_claims_are_typed() -> None:
    spec = load_spec(REFERENCE_SPEC)
    comparisons = {c.id: c for c in spec.comparisons}
    assert comparisons["round_rank"] == Rank(
        id="round_rank", subject="xai_round_amount",
        among=("xai_round_amount", "anthropic_round_sep", "anthropic_round_oct", "inflection_round"),
        origin=f"{REFERENCE_SPEC}:16")
    assert comparisons["energy_per_year"] == Convert(id="energy_per_year", of="colossus_power", to="TWh",
                                                     over="1 year", origin=f"{REFERENCE_SPEC}:21")
    assert comparisons["gpu_ratio"] == Ratio(id="gpu_ratio", of="xai_h100_count", to="gpt4_gpu_count",
                                             origin=f"{REFERENCE_SPEC}:13")
    claims = {c.id: c for c in spec.claims}
    assert claims["c_cny"].asserted == Quantity.point(29000000000, "CNY")
    assert (claims["c_cny"].direction, claims["c_cny"].tolerance) == ("at_least", Decimal("0.01"))
    assert claims["c_half"].asserted == Quantity.point(Decimal("0.5"), "1")
    assert claims["c_gpu_4x"].direction == "about"


def test_every_spec_problem_is_reported_with_line_and_key_path() -> None:
    path = FX / "spec_bad.yaml"
    assert problems(path) == [
        f"{path}:7: comparsions: unknown key 'comparsions' (expected only id, title, languages, template, facts, sources, author, units, key_numbers, comparisons, charts, claims, schedule, block_on_contradicted, precision, stale_after_days, draft, review)",
        f"{path}:3: languages[2]: unknown value 'fr' (expected one of ja, en)",
        f"{path}:22: block_on_contradicted: got str 'yes' (expected true or false)",
        f"{path}:1: id: bad value 'Bad_Id' (expected lower-case letters, digits and - (e.g. xai-colossus))",
        f'{path}:2: title.en: missing (expected the title in en)',
        f"{path}:6: sources: file not found: {FX / 'missing.csv'} (expected an existing file, relative to the spec file)",
        f"{path}:11: comparisons[1].id: duplicate id 'r1' (also comparisons[0]) (expected each id once)",
        f'{path}:10: comparisons[0].to: missing (expected an id of lower-case letters, digits and _ (e.g. gpu_ratio))',
        f"{path}:11: comparisons[1].kind: unknown value 'ratoi' (expected one of ratio, share, difference, rank, product, sum, convert, currency, pace)",
        f'{path}:12: comparisons[2].of: only 1 item (expected a list of at least 2 items)',
        f'{path}:13: comparisons[3].over: per and over together (expected either per or over)',
        f"{path}:13: comparisons[3].to: unknown unit 'widgets' (expected {UNIT_FORM})",
        f"{path}:14: comparisons[4].extra: unknown key 'extra' (expected only id, kind, of, span, per, if_unavailable, precision)",
        f"{path}:14: comparisons[4].per: unknown unit 'GPU' (expected a time unit such as day, month or year)",
        f'{path}:15: comparisons[5].over: neither an id nor an amount: \'one year\' (expected an id of lower-case letters, digits and _ (e.g. gpu_ratio), or an amount such as "1 year")',
        f"{path}:8: key_numbers[1]: bad value 'Not-An-Id' (expected an id of lower-case letters, digits and _ (e.g. gpu_ratio))",
        f'{path}:17: charts[0].items: only 0 items (expected a list of at least 1 item)',
        f"{path}:19: claims[0].quote: empty (expected the article's own words)",
        f'{path}:19: claims[0].tolerance: negative tolerance -0.1 (expected a number >= 0 such as 0.02 (2 %))',
        f"{path}:19: claims[0].asserted: not a number: '10万' (expected a number such as 4, 0.5 or 4000000000)",
        f"{path}:19: claims[0].direction: unknown value 'roughly' (expected one of about, at_least, at_most)",
        f'{path}:20: claims[1].asserted: got bool True (expected a number such as 4, 0.5 or 4000000000)',
        f"{path}:21: schedule.weekday: unknown value 'funday' (expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)",
        f'{path}:21: schedule.at: got int 480 (expected a quoted 24-hour time "HH:MM", e.g. "08:00")',
        f"{path}:21: schedule.tz: unknown time zone 'Mars/Olympus' (expected an IANA time zone such as Asia/Tokyo)",
    ]


def test_minimal_spec_gets_defaults(tmp_path: Path, no_warnings: None) -> None:
    spec = load_spec(write_spec(tmp_path, MINIMAL))
    assert (spec.comparisons, spec.charts, spec.claims, spec.key_numbers) == ((), (), (), ())
    assert (spec.schedule, spec.block_on_contradicted, spec.author) == (None, True, "briefgen")
    assert spec.facts_path == str(tmp_path / "facts.csv")


def test_a_literal_amount_reads_as_compare_reads_it(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL + "units: {GPU: {define: count}}\n"
                                          "comparisons:\n  - {id: e, kind: convert, of: gpus, over: '1,000 hour', "
                                          "to: GPU*hour}\n")
    spec = load_spec(path)
    (result,) = compute(spec.comparisons, load_facts(Path(spec.facts_path), Path(spec.sources_path)))
    assert result.value == Quantity.point(100_000_000, "GPU*hour")


def test_acknowledged_claim(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL + "claims:\n  - {id: c, quote: q, target: t, asserted: '1,234', "
                                          "unit: USD, tolerance: 0, acknowledged: 'checked: typo'}\n")
    claim = load_spec(path).claims[0]
    assert (claim.asserted, claim.acknowledged, claim.origin) == (
        Quantity.point(1234, "USD"), "checked: typo", f"{path}:8")


def test_missing_top_keys_and_unknown_kind_without_noise(tmp_path: Path) -> None:
    path = write_spec(tmp_path, "id: tiny\ncomparisons:\n  - {id: x, kind: nope, part: a, whole: b}\n")
    assert problems(path) == [
        f"{path}:1: languages: missing (expected a list of at least 1 item)",
        f"{path}:1: title: missing (expected a mapping with keys ja, en)",
        f"{path}:1: template: missing (expected a template folder name: lower-case letters, digits and - "
        "(e.g. xai-colossus))",
        f"{path}:1: facts: missing (expected a file path relative to the spec file)",
        f"{path}:1: sources: missing (expected a file path relative to the spec file)",
        f"{path}:3: comparisons[0].kind: unknown value 'nope' (expected one of ratio, share, difference, "
        "rank, product, sum, convert, currency, pace)",
    ]


def test_a_comparison_that_is_not_a_mapping_is_one_problem(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL + "comparisons:\n  - just_a_string\n")
    assert problems(path) == [
        f"{path}:8: comparisons[0]: got str 'just_a_string' (expected a mapping with keys id, kind, of, to, "
        "part, whole, minus, subject, among, per, over, rate, span, if_unavailable, precision)"]


def test_spec_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write_spec(tmp_path, "- just\n- a list\n")
    assert problems(path) == [
        f"{path}:1: got a list (expected a mapping with keys id, title, languages, template, facts, sources, "
        "author, units, key_numbers, comparisons, charts, claims, schedule, block_on_contradicted, precision, stale_after_days, draft, review)"]


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = write_spec(tmp_path, MINIMAL + "author: a\nauthor: b\n")
    assert problems(path) == [f"{path}:8: author: duplicate key (expected each key once per mapping)"]


def test_hostile_spec_is_rejected_and_nothing_runs(tmp_path: Path) -> None:
    witness = tmp_path / "pwned"
    path = write_spec(tmp_path, MINIMAL + f'author: !!python/object/apply:os.system ["touch {witness}"]\n')
    assert problems(path) == [
        f"{path}:7: not valid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system' "
        "(expected plain YAML data (safe loader: no !!python tags))"]
    assert not witness.exists()


def test_latin1_spec_is_a_spec_error(tmp_path: Path) -> None:
    path = tmp_path / "brief.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    assert problems(path) == [
        f"{path}:1: byte 0xE9 at byte offset 7 is not UTF-8 text (expected UTF-8 text (re-save the file as UTF-8))"]


@pytest.mark.parametrize("at, time", [('"00:00"', dt.time(0, 0)), ('"23:59"', dt.time(23, 59)),
                                      ('"08:30"', dt.time(8, 30))])
def test_schedule_times(tmp_path: Path, at: str, time: dt.time) -> None:
    path = write_spec(tmp_path, MINIMAL + f"schedule: {{weekday: Friday, at: {at}, tz: UTC}}\n")
    assert load_spec(path).schedule == Slot("friday", time, "UTC")


@pytest.mark.parametrize("at", ['"24:00"', '"8:00"', '"08:60"', '"08:00:00"'])
def test_schedule_rejects_bad_times(tmp_path: Path, at: str) -> None:
    path = write_spec(tmp_path, MINIMAL + f"schedule: {{weekday: monday, at: {at}, tz: Asia/Tokyo}}\n")
    assert problems(path) == [
        f"{path}:7: schedule.at: bad value {at.strip(chr(34))!r} "
        '(expected a quoted 24-hour time "HH:MM", e.g. "08:00")']


def test_find_specs_maps_folder_names_to_spec_paths(tmp_path: Path) -> None:
    for name in ("b-brief", "a-brief", "Not A Slug"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "brief.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "no-spec").mkdir()
    assert find_specs(tmp_path) == {"a-brief": tmp_path / "a-brief" / "brief.yaml",
                                    "b-brief": tmp_path / "b-brief" / "brief.yaml"}
    assert find_specs(DATA)["xai-colossus"] == REFERENCE_SPEC
    with pytest.raises(SpecError, match="nope: not a folder"):
        find_specs(tmp_path / "nope")


def test_key_path() -> None:
    assert key_path(("comparisons", 3, "kind")) == "comparisons[3].kind"
    assert key_path(("schedule", "at")) == "schedule.at"
    assert key_path(()) == ""


def test_if_unavailable_is_error_by_default_and_na_by_choice(tmp_path: Path) -> None:
    base = MINIMAL + "comparisons:\n  - {id: r, kind: ratio, of: a, to: b%s}\n"
    assert load_spec(write_spec(tmp_path, base % "")).comparisons[0].if_unavailable == "error"
    assert load_spec(write_spec(tmp_path, base % ", if_unavailable: na")).comparisons[0].if_unavailable == "na"
    path = write_spec(tmp_path, base % ", if_unavailable: zero")
    assert problems(path) == [f"{path}:8: comparisons[0].if_unavailable: unknown value 'zero' "
                              "(expected one of error, na)"]


@pytest.mark.parametrize(("title", "reason"), [
    ('"週報\\r\\nBcc: x@example.net"', "control characters U+000A, U+000D"),
    ('"=?utf-8?b?QWxpY2UNCkJjYzog?="', "an RFC 2047 encoded word '=?utf-8?b?QWxpY2UNCkJjYzog?='"),
    ('"Weekly \\u202eylkeeW"', "bidi controls U+202E"),
])
def test_a_title_a_mail_subject_cannot_carry_is_refused_at_its_line(tmp_path: Path, title: str,
                                                                    reason: str) -> None:
    path = write_spec(tmp_path, MINIMAL.replace('title: {ja: "小さな", en: "Tiny"}',
                                                f'title:\n  ja: "小さな"\n  en: {title}'))
    assert problems(path) == [f"{path}:4: title.en: {reason} in the title (expected plain text on one line, "
                              "without control characters, bidi controls or =?…?= encoded words)"]


# --- units: the data folder's units.yaml, then the brief's own ---------------------------------------


def _units_project(tmp_path: Path, project: str, brief_units: str) -> Path:
    folder = tmp_path / "data" / "tiny"
    folder.mkdir(parents=True)
    (tmp_path / "data" / "units.yaml").write_text(project, encoding="utf-8")
    return write_spec(folder, MINIMAL + brief_units)


def test_a_brief_uses_the_data_folders_units_and_its_own(tmp_path: Path) -> None:
    from briefgen.base import units

    path = _units_project(tmp_path, "units:\n  car: {define: count, ja: '{}台', en: '{} cars'}\n",
                          "units:\n  site: {define: count, ja: '{}拠点', en: '{} sites'}\n"
                          "  car: {ja: '{}両', en: '{} vehicles'}\n"
                          "charts:\n  - {id: ch, title: {ja: 図, en: Chart}, items: [gpus], unit: car/site}\n")
    spec = load_spec(path)
    assert spec.charts[0].unit == "car/site"
    with units.using(spec.units):
        assert units.words("car") == units.UnitWords(ja="両", en=" vehicles")
        assert units.words("site").ja == "拠点"
    assert not units.is_known("site")


@pytest.mark.parametrize(("project", "brief_units", "expected"), [
    ("units:\n  car: {define: count}\n  lorry: {define: cont}\n", "",
     "data/units.yaml:3: units.lorry: unknown unit 'cont'"),
    ("units:\n  car: {defin: count}\n", "", "data/units.yaml:2: units.car.defin: unknown key 'defin'"),
    ("units: [car]\n", "", "data/units.yaml:1: units: got a list"),
    ("", "units:\n  kW: {define: count}\n", "brief.yaml:8: units.kW: 'kW' is already a unit (kilowatt)"),
    ("", "units:\n  car: {define: count, en: cars}\n", "brief.yaml:8: units.car: bad display pattern 'cars'"),
    ("", "units:\n  car: {define: 'kW**(9**9**9)'}\n", "brief.yaml:8: units.car: exponent '(' is not a whole"),
])
def test_a_bad_unit_entry_is_located(tmp_path: Path, project: str, brief_units: str, expected: str) -> None:
    path = _units_project(tmp_path, project, brief_units)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_review_needs_draft_and_draft_is_a_boolean(tmp_path: Path) -> None:
    spec = tmp_path / "brief.yaml"
    spec.write_text(REFERENCE_SPEC.read_text(encoding="utf-8").replace(
        "facts: facts.csv", "facts: facts.csv\ndraft: yes please\nreview: [check the headline]"), encoding="utf-8")
    for name in ("facts.csv", "sources.csv"):
        (tmp_path / name).write_text((REFERENCE_SPEC.parent / name).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    problems = [str(p) for p in caught.value.problems]
    assert any(":9: draft: got str 'yes please' (expected true or false)" in p for p in problems), problems
    assert any(":10: review: 1 item left to review in a brief that is not a draft" in p for p in problems), problems


# --- comparison specs: a type per kind ------------------------------------------------------------

#: One spec of every kind, with every argument it takes (a convert takes per or over, not both).
EVERY_KIND: tuple[ComparisonSpec, ...] = (
    Ratio(id="r", of="a", to="b"),
    Share(id="s", part="a", whole="b", if_unavailable="na"),
    Difference(id="d", of="a", minus="b", precision=2),
    Rank(id="k", subject="a", among=("a", "b", "c")),
    Product(id="p", of=("a", "b")),
    Sum(id="u", of=("a", "b", "c"), precision="exact"),
    Convert(id="c1", of="a", to="TWh", over="1 year"),
    Convert(id="c2", of="a", to="kW", per="b"),
    Currency(id="y", of="a", rate="b", to="CNY"),
    Pace(id="v", of="a", span="b", per="month"),
)


def test_every_kind_has_one_spec_type() -> None:
    assert list(KINDS) == list(get_args(ComparisonKind))
    assert all(KINDS[t.kind] is t for t in COMPARISON_TYPES)
    assert {type(s) for s in EVERY_KIND} == set(COMPARISON_TYPES)


def test_each_kind_reads_into_its_type_and_its_entry_reads_back(tmp_path: Path, no_warnings: None) -> None:
    lines = [f"  - {yaml.safe_dump(comparison_entry(s), default_flow_style=True).strip()}" for s in EVERY_KIND]
    path = write_spec(tmp_path, MINIMAL + "comparisons:\n" + "\n".join(lines) + "\n")
    read = load_spec(path).comparisons
    assert [s.origin for s in read] == [f"{path}:{8 + i}" for i in range(len(EVERY_KIND))]
    assert [replace(s, origin="") for s in read] == list(EVERY_KIND)


@pytest.mark.parametrize(("entry", "key", "valid"), [
    ("{id: r, kind: ratio, of: a, to: b, minus: c}", "minus", "of, to"),
    ("{id: s, kind: share, part: a, whole: b, of: c}", "of", "part, whole"),
    ("{id: d, kind: difference, of: a, minus: b, to: c}", "to", "of, minus"),
    ("{id: k, kind: rank, subject: a, among: [a, b], of: [a, b]}", "of", "subject, among"),
    ("{id: p, kind: product, of: [a, b], to: USD}", "to", "of"),
    ("{id: u, kind: sum, of: [a, b], whole: c}", "whole", "of"),
    ("{id: c, kind: convert, of: a, to: TWh, span: b}", "span", "of, to, per, over"),
    ("{id: y, kind: currency, of: a, rate: b, to: CNY, per: month}", "per", "of, rate, to"),
    ("{id: v, kind: pace, of: a, span: b, per: month, over: '1 year'}", "over", "of, span, per"),
    ("{id: r, kind: ratio, of: a, to: b, numerator: c}", "numerator", "of, to"),
])
def test_a_key_the_kind_does_not_take_is_refused_naming_the_kinds_keys(tmp_path: Path, entry: str, key: str,
                                                                         valid: str) -> None:
    path = write_spec(tmp_path, MINIMAL + f"comparisons:\n  - {entry}\n")
    assert problems(path) == [f"{path}:8: comparisons[0].{key}: unknown key {key!r} "
                              f"(expected only id, kind, {valid}, if_unavailable, precision)"]
