"""Hardening, fact and reader files (issue 6, cases 1–8), end to end through ``run.py``.

The module tests (test_tables, test_facts, test_compare) pin each message; here every bad file goes
through the command line: ``build`` and ``send`` both stop with one located error line and exit 1, the
previous edition's PDFs stay byte for byte, and the SMTP server receives nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from conftest import pdf_text
from hardening import EDITION, Workspace, assert_refused, refused_everywhere, run
from smtpserver import Server

NUMBER_FORM = "(expected a number such as 1,234 or -3 or 0.25 or 1.5e9 (digits only: no words, 万/億, NaN or inf))"


# --- 1. a row with more fields than the header ------------------------------------------------------


def test_1_a_row_with_an_extra_field_is_a_located_error(ws: Workspace, server: Server) -> None:
    text = ws.facts.read_text(encoding="utf-8")
    ws.facts.write_text(text + "extra_fact,xAI,gpus,1,,,GPU,,seed_article,q,ラベル,label,SURPLUS\n",
                        encoding="utf-8")
    last = len(text.splitlines()) + 1
    refused_everywhere(ws, server, f"{ws.facts}:{last}: row has 13 fields but the header has 12 fields "
                                   "(expected one value per header column (quote values with commas))")


# --- 2. numbers as spreadsheets write them ----------------------------------------------------------


def test_2_thousands_separators_are_accepted(ws: Workspace) -> None:
    ws.set_fact("gpt4_gpu_count", value="25,000")
    ws.set_fact("xai_h100_count", value="100,000")
    result = ws.build("--lang", "en")
    assert (result.code, result.err) == (0, "")
    text = pdf_text(ws.pdf("en").read_bytes())
    assert "100,000 GPUs ÷ 25,000 GPUs" in text and "4×" in text


@pytest.mark.parametrize(("value", "problem"), [
    ("12,3.4", f"value: not a number: '12,3.4' {NUMBER_FORM}"),
    ("n/a", f"value: not a number: 'n/a' {NUMBER_FORM}"),
    ("10万", f"value: not a number: '10万' {NUMBER_FORM}"),
    ("NaN", f"value: not a number: 'NaN' {NUMBER_FORM}"),
    ("", "value: no amount (expected value for a point, or low and high for a range)"),
])
def test_2_a_bad_number_is_located_and_never_reaches_a_comparison(
        ws: Workspace, server: Server, value: str, problem: str) -> None:
    line = ws.set_fact("gpt4_gpu_count", value=value)
    error = refused_everywhere(ws, server, f"{ws.facts}:{line}: {problem}")
    assert "gpu_ratio" not in error  # stopped at loading: no comparison ever saw the value


def test_2_xlsx_number_and_date_cells_load_like_csv_text(ws: Workspace, no_warnings: None) -> None:
    from_csv = ws.build("--lang", "en", "--out", str(ws.root / "from-csv"))
    assert (from_csv.code, from_csv.err) == (0, "")
    rows = ws.rows()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(rows[0]))
    for row in rows:
        cells: list[object] = list(row.values())
        if row["id"] == "xai_round_amount":  # a real number cell and a real date cell
            cells[3], cells[7] = 6_000_000_000, dt.datetime(2024, 5, 26)
        sheet.append([None if c == "" else c for c in cells])
    book.save(ws.brief_dir / "facts.xlsx")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("facts: facts.csv", "facts: facts.xlsx"),
                    encoding="utf-8")
    result = ws.build("--lang", "en")
    assert (result.code, result.err) == (0, "")
    csv_pdf = ws.root / "from-csv" / "xai-colossus" / f"{EDITION}.en.pdf"
    assert pdf_text(ws.pdf("en").read_bytes()) == pdf_text(csv_pdf.read_bytes())


# --- 3. encodings -----------------------------------------------------------------------------------


def test_3_latin1_bytes_are_located_by_line_and_byte_offset(ws: Workspace, server: Server) -> None:
    line = ws.set_fact("gpt4_gpu_count", label_en="GPUs used to train GPT-4 (caf\u00e9)")
    data = ws.facts.read_bytes().replace("caf\u00e9".encode(), b"caf\xe9")
    ws.facts.write_bytes(data)
    offset = data.index(b"\xe9")
    refused_everywhere(ws, server, f"{ws.facts}:{line}: byte 0xE9 at byte offset {offset} is not UTF-8 text "
                                   "(expected UTF-8 text (re-save the file as UTF-8))")


def test_3_a_byte_order_mark_is_stripped_from_every_table(ws: Workspace, server: Server) -> None:
    for path in (ws.facts, ws.brief_dir / "sources.csv", ws.data / "readers.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = ws.send(server)
    assert (result.code, result.err) == (0, "")
    assert len(server.handler.received) == 4
    assert "メンフィス" in pdf_text(ws.pdf("ja").read_bytes())


# --- 4. YAML that tries to run code -----------------------------------------------------------------

ATTACK = '!!python/object/apply:os.system ["touch {witness}"]'
REFUSED_TAG = ("not valid YAML: could not determine a constructor for the tag "
               "'tag:yaml.org,2002:python/object/apply:os.system' "
               "(expected plain YAML data (safe loader: no !!python tags))")


def test_4_python_tags_in_the_brief_spec_are_refused_and_nothing_runs(ws: Workspace, server: Server) -> None:
    witness = ws.root / "pwned"
    spec = ws.brief_dir / "brief.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("author: briefgen", "author: " + ATTACK.format(witness=witness)),
                    encoding="utf-8")
    line = text.splitlines().index("author: briefgen") + 1
    refused_everywhere(ws, server, f"{spec}:{line}: {REFUSED_TAG}")
    assert not witness.exists()


def test_4_python_tags_in_a_yaml_facts_file_are_refused_and_nothing_runs(ws: Workspace, server: Server) -> None:
    witness = ws.root / "pwned"
    facts = ws.brief_dir / "facts.yaml"
    facts.write_text(f"- id: {ATTACK.format(witness=witness)}\n", encoding="utf-8")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("facts: facts.csv", "facts: facts.yaml"),
                    encoding="utf-8")
    refused_everywhere(ws, server, f"{facts}:1: {REFUSED_TAG}")
    assert not witness.exists()


def test_4_python_tags_in_a_yaml_readers_file_are_refused_and_nothing_runs(
        ws: Workspace, server: Server) -> None:
    witness = ws.root / "pwned"
    readers = ws.data / "readers.yaml"
    readers.write_text(f"- name: {ATTACK.format(witness=witness)}\n  email: a@example.com\n", encoding="utf-8")
    result = run(*ws.options(), "send", "xai-colossus", "--readers", str(readers),
                 "--config", str(ws.smtp_config(server)))
    assert_refused(result, f"{readers}:1: {REFUSED_TAG}")
    assert not witness.exists() and server.handler.received == []
    ws.assert_untouched()


# --- 5. JSON duplicate keys and non-finite numbers --------------------------------------------------


def _json_facts(ws: Workspace, edit: str) -> Path:
    """facts.json from facts.csv, with ``"value": "25000"`` of gpt4_gpu_count replaced by ``edit``."""
    objects = [json.dumps(row, ensure_ascii=False) for row in ws.rows()]
    text = "[\n" + ",\n".join(objects) + "\n]\n"
    assert text.count('"value": "25000"') == 1
    path = ws.brief_dir / "facts.json"
    path.write_text(text.replace('"value": "25000"', edit), encoding="utf-8")
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("facts: facts.csv", "facts: facts.json"),
                    encoding="utf-8")
    return path


CELL = "(expected a single text, number, true/false or empty value)"


@pytest.mark.parametrize(("edit", "problem"), [
    ('"value": "25000", "value": "1"', "value: duplicate key (expected each key once per object)"),
    ('"value": NaN', f"value: NaN is not allowed here {CELL}"),
    ('"value": Infinity', f"value: Infinity is not allowed here {CELL}"),
    ('"value": -Infinity', f"value: -Infinity is not allowed here {CELL}"),
])
def test_5_json_duplicate_keys_and_non_finite_numbers_name_the_key(
        ws: Workspace, server: Server, edit: str, problem: str) -> None:
    path = _json_facts(ws, edit)
    line = ws.line_of("gpt4_gpu_count")  # one object per line, after the "[" line: same line as in the CSV
    refused_everywhere(ws, server, f"{path}:{line}: {problem}")


def test_5_json_numbers_stay_exact_text(ws: Workspace) -> None:
    _json_facts(ws, '"value": 25000')
    result = ws.build("--lang", "en")
    assert (result.code, result.err) == (0, "")
    assert "100,000 GPUs ÷ 25,000 GPUs" in pdf_text(ws.pdf("en").read_bytes())


# --- 6. empty files, header only, missing columns ---------------------------------------------------


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("facts.csv", "", ": file is empty (expected a header row and data rows)"),
    ("facts.csv", "id,entity,metric,value,low,high,unit,as_of,source,quote,label_ja,label_en\n",
     ":1: no data rows (expected at least one row with columns id, entity, metric, value, low, high, unit, "
     "as_of, source, quote)"),
    ("sources.csv", "", ": file is empty (expected a header row and data rows)"),
    ("sources.csv", "id,publisher,title,date,url\nseed_article,P,T,2024-07,\n",
     ":1: lang: missing required column (expected columns id, publisher, title, date, url, lang)"),
])
def test_6_schema_errors_stop_everything_before_rendering(ws: Workspace, server: Server, name: str,
                                                         content: str, problem: str) -> None:
    path = ws.brief_dir / name
    path.write_text(content, encoding="utf-8")
    refused_everywhere(ws, server, f"{path}{problem}")


def test_6_a_missing_fact_column_is_named(ws: Workspace, server: Server) -> None:
    rows = [{k: v for k, v in row.items() if k != "quote"} for row in ws.rows()]
    ws.write_rows(rows)
    refused_everywhere(ws, server, f"{ws.facts}:1: quote: missing required column")


@pytest.mark.parametrize(("content", "problem"), [
    ("", ": file is empty (expected a header row and data rows)"),
    ("name,email,lang\nA,a@example.com,en\n",
     ":1: briefs: missing required column (expected columns name, email, lang, briefs)"),
])
def test_6_a_broken_readers_file_stops_the_send_before_building(ws: Workspace, server: Server,
                                                               content: str, problem: str) -> None:
    readers = ws.data / "readers.csv"
    readers.write_text(content, encoding="utf-8")
    assert_refused(ws.send(server), f"{readers}{problem}")
    ws.assert_untouched()
    assert server.handler.received == []


# --- 7. a zero or missing baseline ------------------------------------------------------------------


@pytest.mark.parametrize(("fact", "field", "shown"), [
    ("gpt4_gpu_count", "gpu_ratio.to", "0 GPU"),
    ("openai_total_raised", "raise_share.whole", "0 USD"),
    ("xai_h100_count", "oracle_share.whole", "0 GPU"),
])
def test_7_a_zero_baseline_is_a_clear_error_never_inf_or_nan(ws: Workspace, server: Server, fact: str,
                                                           field: str, shown: str) -> None:
    ws.set_fact(fact, value="0")
    spec = ws.brief_dir / "brief.yaml"
    comparison = field.split(".")[0]
    line = next(i for i, text in enumerate(spec.read_text(encoding="utf-8").splitlines(), start=1)
                if f"id: {comparison}," in text)
    error = refused_everywhere(ws, server, f"{spec}:{line}: {field}: {fact} is {shown}, which is or touches "
                                           "zero; cannot divide by it (expected a non-zero baseline)")
    assert not {"inf", "nan", "0%"} & set(error.lower().split())


def test_7_a_missing_baseline_is_a_clear_error_naming_the_comparison(ws: Workspace, server: Server) -> None:
    ws.write_rows([row for row in ws.rows() if row["id"] != "gpt4_gpu_count"])
    spec = ws.brief_dir / "brief.yaml"
    refused_everywhere(ws, server, f"{spec}:13: gpu_ratio.to: unknown id 'gpt4_gpu_count'")


@pytest.mark.parametrize(("fact", "opted", "na_en", "na_ja"), [
    ("gpt4_gpu_count", ("gpu_ratio",), "100,000 GPUs[1]: n/a the 0 GPUs", "算出不可"),
    ("openai_total_raised", ("raise_share", "pace_ratio"), "the round is n/a.", "算出不可"),
])
def test_7_if_unavailable_na_builds_and_prints_na_never_inf_nan_or_0_percent(
        ws: Workspace, caplog: pytest.LogCaptureFixture, fact: str, opted: tuple[str, ...], na_en: str,
        na_ja: str) -> None:
    ws.set_fact(fact, value="0")
    spec = ws.brief_dir / "brief.yaml"
    text = spec.read_text(encoding="utf-8")
    for comparison in opted:
        start = text.index(f"{{id: {comparison},")
        end = text.index("}", start)
        text = text[:end] + ", if_unavailable: na" + text[end:]
    spec.write_text(text, encoding="utf-8")
    result = ws.build()
    assert result.code == 0 and all(" WARNING briefgen: " in line for line in result.err.splitlines()), result.err
    en = " ".join(pdf_text(ws.pdf("en").read_bytes()).split())
    ja = " ".join(pdf_text(ws.pdf("ja").read_bytes()).split())
    assert na_en in en and na_ja in ja and "not checkable" in en and "検証不可" in ja
    for shown in (en, ja):
        assert not {"inf", "nan", "infinity", "0%"} & set(shown.lower().replace(",", " ").split())
    warned = [r.getMessage() for r in caplog.records if r.name == "briefgen"]
    assert any(m.startswith(f"{spec}:") and f": {opted[0]}: not available, printed as n/a: {fact} is 0 "
               in m for m in warned), warned


# --- 8. very large, negative and tiny values --------------------------------------------------------


def test_8_extreme_values_within_the_stated_range_print_sensibly(ws: Workspace) -> None:
    ws.set_fact("xai_h100_count", value="1e300")
    ws.set_fact("colossus_water", value="-1.3e6")
    ws.set_fact("tesla_engineers", value="1e-300")
    result = ws.build()
    assert result.code == 0 and all(" WARNING briefgen: " in line for line in result.err.splitlines()), result.err
    en = " ".join(pdf_text(ws.pdf("en").read_bytes()).split())
    ja = " ".join(pdf_text(ws.pdf("ja").read_bytes()).split())
    assert "1E300 GPUs" in en and "1E300台" in ja
    assert "−1.3M gallons a day" in en and "−130万ガロン/日" in ja
    assert "1E−300 people" in en and "1E−300人" in ja
    for text in (en, ja):
        assert not {"inf", "nan", "infinity"} & set(text.lower().replace(",", " ").split())


@pytest.mark.parametrize("value", ["1e301", "-1e301", "1e-301"])
def test_8_values_beyond_the_stated_range_are_rejected_by_rule(ws: Workspace, server: Server,
                                                             value: str) -> None:
    line = ws.set_fact("xai_h100_count", value=value)
    refused_everywhere(ws, server, f"{ws.facts}:{line}: value: number out of range: '{value}' "
                                   f"(|exponent| > 300) {NUMBER_FORM}")
