"""tables.read_rows: every format, and every malformed file reported with file, line and field."""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl
import pytest
from conftest import FIXTURES

from briefgen.base.errors import FactsError, SpecError
from briefgen.load.tables import iter_rows, load_yaml, read_rows, read_text

FX = FIXTURES / "facts"
CELL = "(expected a single text, number, true/false or empty value)"


def messages(path: Path, required: tuple[str, ...] = ("id",), optional: tuple[str, ...] = ("name",)) -> list[str]:
    with pytest.raises(FactsError) as info:
        read_rows(path, required, optional)
    return [str(p) for p in info.value.problems]


def cells(path: Path) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, dict(row.values)) for row in read_rows(path, ("id",), ("name",))]


def test_bom_is_stripped_so_the_first_header_is_clean(no_warnings: None) -> None:
    assert cells(FX / "bom.csv") == [(2, {"id": "x", "name": "café"})]


def test_latin1_byte_is_reported_with_its_offset_and_line() -> None:
    assert messages(FX / "latin1.csv") == [
        f"{FX / 'latin1.csv'}:3: byte 0xE9 at byte offset 18 is not UTF-8 text "
        "(expected UTF-8 text (re-save the file as UTF-8))"]


def test_nul_byte_is_rejected_as_not_text() -> None:
    assert messages(FX / "nul.csv") == [
        f"{FX / 'nul.csv'}:2: byte 0x00 at byte offset 9 is not UTF-8 text "
        "(expected UTF-8 text (re-save the file as UTF-8))"]


def test_rows_with_too_many_or_too_few_fields_are_all_reported() -> None:
    hint = "(expected one value per header column (quote values with commas))"
    assert messages(FX / "extra_field.csv") == [
        f"{FX / 'extra_field.csv'}:3: row has 3 fields but the header has 2 fields {hint}",
        f"{FX / 'extra_field.csv'}:5: row has 1 field but the header has 2 fields {hint}",
    ]


def test_empty_and_header_only_files() -> None:
    assert messages(FX / "empty.csv") == [
        f"{FX / 'empty.csv'}: file is empty (expected a header row and data rows)"]
    assert messages(FX / "header_only.csv") == [
        f"{FX / 'header_only.csv'}:1: no data rows (expected at least one row with columns id)"]


def test_missing_and_unknown_columns_are_errors() -> None:
    assert messages(FX / "columns.csv", ("id", "value"), ("name",)) == [
        f"{FX / 'columns.csv'}:1: value: missing required column (expected columns id, value)",
        f"{FX / 'columns.csv'}:1: nmae: unknown column (expected only the columns id, value, name)",
    ]


def test_duplicate_and_empty_header_cells(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,name,,name\na,b,c,d\n", encoding="utf-8")
    assert messages(path) == [
        f"{path}:1: column 3: empty column name (expected a name in every header cell)",
        f"{path}:1: name: duplicate column (expected each column name once)",
    ]


def test_csv_cells_stay_text_and_lines_follow_quoted_newlines(tmp_path: Path, no_warnings: None) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,name\r\n"a\nb", NA \r\n\r\nc,\r\n', encoding="utf-8")
    assert cells(path) == [(2, {"id": "a\nb", "name": "NA"}), (5, {"id": "c", "name": ""})]


def test_unclosed_quote_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,name\na,"open\n', encoding="utf-8")
    assert messages(path) == [
        f"{path}:2: malformed CSV (unexpected end of data) "
        '(expected RFC 4180 CSV: a quoted cell is "…" with "" for a quote)']


def test_yaml_rows_keep_literal_text_and_lines(no_warnings: None) -> None:
    assert cells(FX / "rows.yaml") == [
        (3, {"id": "a", "name": "1.5e9"}), (5, {"id": "b", "name": "2024-04-13"}), (7, {"id": "c", "name": ""})]


def test_yaml_nested_values_and_duplicate_keys() -> None:
    assert messages(FX / "nested.yaml") == [
        f"{FX / 'nested.yaml'}:5: name: duplicate key (expected each key once per mapping)",
        f"{FX / 'nested.yaml'}:1: name: a list or mapping is not allowed here {CELL}",
    ]


def test_hostile_yaml_is_rejected_and_nothing_runs(tmp_path: Path) -> None:
    witness = tmp_path / "pwned"
    path = tmp_path / "rows.yaml"
    path.write_text(f'- !!python/object/apply:os.system ["touch {witness}"]\n', encoding="utf-8")
    assert messages(path) == [
        f"{path}:1: not valid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system' "
        "(expected plain YAML data (safe loader: no !!python tags))"]
    assert not witness.exists()


def test_load_yaml_raises_the_callers_error_class() -> None:
    with pytest.raises(SpecError, match=r"x.yaml:2: not valid YAML"):
        load_yaml("a: [1,\n", "x.yaml", SpecError)


def test_json_rows_keep_number_literals(no_warnings: None) -> None:
    assert cells(FX / "rows.json") == [
        (2, {"id": "a", "name": "1.50"}), (3, {"id": "b", "name": ""}), (4, {"id": "c", "name": "true"})]


def test_json_duplicate_key_is_named_with_its_line() -> None:
    assert messages(FX / "dup_key.json") == [
        f"{FX / 'dup_key.json'}:3: name: duplicate key (expected each key once per object)"]


def test_json_nan_and_infinity_are_rejected_naming_the_key() -> None:
    assert messages(FX / "nan.json") == [
        f"{FX / 'nan.json'}:2: name: NaN is not allowed here {CELL}",
        f"{FX / 'nan.json'}:3: name: -Infinity is not allowed here {CELL}",
    ]


def test_json_syntax_error_and_non_table() -> None:
    assert messages(FX / "bad_syntax.json") == [
        f"{FX / 'bad_syntax.json'}:1: not valid JSON: Expecting property name enclosed in double quotes "
        "(column 13) (expected strict JSON)"]
    assert messages(FX / "not_a_table.json") == [
        f"{FX / 'not_a_table.json'}:1: not a table (expected a list of mappings (one per row), "
        "or a mapping with a single key holding that list)"]


def test_xlsx_rows_are_text_with_sheet_row_numbers(tmp_path: Path, no_warnings: None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["id", "name"], ["a", 100000], [None, None], ["b", 1.5]):
        sheet.append(row)
    path = tmp_path / "t.xlsx"
    book.save(path)
    assert cells(path) == [(2, {"id": "a", "name": "100000"}), (4, {"id": "b", "name": "1.5"})]


def test_corrupt_xlsx_and_unknown_suffix(tmp_path: Path) -> None:
    bad = tmp_path / "t.xlsx"
    bad.write_bytes(b"not a zip")
    assert messages(bad)[0].startswith(f"{bad}: not a readable workbook (")
    other = tmp_path / "t.txt"
    other.write_text("id\na\n", encoding="utf-8")
    assert messages(other) == [
        f"{other}: unsupported file type '.txt' (expected one of .csv, .yaml, .yml, .json, .xlsx)"]


def test_missing_file_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(FactsError, match=r"nope.csv: cannot read the file \(No such file or directory\)"):
        read_text(tmp_path / "nope.csv")


def test_100000_rows_load(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,name\n" + "".join(f"r{i},{i}\n" for i in range(100_000)), encoding="utf-8")
    rows = read_rows(path, ("id",), ("name",))
    assert len(rows) == 100_000
    assert (rows[-1].line, rows[-1].values["id"]) == (100_001, "r99999")


def test_iter_rows_parses_a_csv_row_when_asked_and_reports_problems_when_the_rows_run_out(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,name\na,1\nb,2\nc\n", encoding="utf-8")
    rows = iter_rows(path, ("id",), ("name",))
    assert [(row.line, dict(row.values)) for row in itertools.islice(rows, 2)] == [
        (2, {"id": "a", "name": "1"}), (3, {"id": "b", "name": "2"})]  # the rows before the bad one come first
    with pytest.raises(FactsError, match=r"t.csv:4: row has 1 field but the header has 2 fields"):
        next(rows)


def test_iter_rows_yields_no_row_after_a_problem_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,id\na,1\n", encoding="utf-8")
    rows = iter_rows(path, ("id",))
    with pytest.raises(FactsError, match=r"t.csv:1: id: duplicate column"):
        next(rows)
