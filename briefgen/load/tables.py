"""Data files (CSV, YAML, JSON, XLSX) → located rows of text; every problem in a file is raised at once.

The edge where tables enter briefgen. Cells stay text (no number or NA guessing: ``"NA"`` is the
text ``NA``), stripped of surrounding spaces. Every row keeps the 1-based line it starts on (the
CSV/XLSX header is line 1; a YAML/JSON row is the line its mapping opens on), so later checks can
say ``facts.csv:7: value: …``. Column policy: a missing required column **and an unknown column are
errors** (a misspelt ``lable_ja`` must not vanish silently); absent optional columns read as ``""``.

CSV is split with the standard ``csv`` module rather than ``pandas.read_csv``: it reports the
physical line each record starts on (quoted cells may span lines) and lets every malformed row be
reported, where pandas stops at the first one or silently shifts an extra field into the index.
A CSV cell a spreadsheet would run as a formula (text starting with ``= + - @``, tab or CR) is
written by briefgen with a leading apostrophe (``neutralised``: ``'=HYPERLINK(…)``), the spreadsheet
convention for "this is text"; reading drops that apostrophe again, so what briefgen writes loads
back exactly. Plain numbers such as ``-3.7`` are not formulas and stay as they are.
XLSX goes through pandas + openpyxl with ``dtype=str``; a date cell (which arrives as
``2024-05-26 00:00:00``) reads as its ISO date ``2024-05-26``, like the same date typed in a CSV.
"""

from __future__ import annotations

import csv
import json
import json.decoder
import json.scanner
import re
import zipfile
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from briefgen.base.lazyimports import import_with_lazy_patterns

import_with_lazy_patterns("yaml")  # first: its pure-Python reader's Unicode-wide pattern waits for a file libyaml rejects

import yaml

from briefgen.base.errors import QUOTE_LIMIT, BriefError, FactsError, Problem, quoted

BOM = b"\xef\xbb\xbf"
#: Deepest nesting of lists and mappings a YAML or JSON file may have (a table needs 2, a brief spec 4):
#: the parsers recurse once per level, so a file nested 100,000 deep would overflow the stack.
MAX_DEPTH = 32
DEPTH_FORM = f"lists and mappings nested at most {MAX_DEPTH} deep"
#: Text a spreadsheet would read as a formula, after any apostrophes already neutralising it.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[][{}]')
_XLSX_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: the line it starts on, its cells by column name, and the file it came from."""

    line: int
    values: Mapping[str, str]
    origin: str


@dataclass(frozen=True)
class YamlDoc:
    """A YAML document read with the safe loader: the data and its node tree (for line numbers)."""

    data: object
    node: yaml.Node | None
    problems: tuple[Problem, ...] = ()


class Cells(Mapping[str, str]):
    """One grid row's cells by column name: the row's tuple of cells and the header's column →
    position index, shared by every row (a dict per row would cost three times the memory). A
    column the file does not have (an optional one) reads as ``""``."""

    __slots__ = ("_index", "_cells")

    def __init__(self, index: Mapping[str, int], cells: tuple[str, ...]) -> None:
        self._index = index
        self._cells = cells

    def __getitem__(self, name: str) -> str:
        position = self._index[name]
        return self._cells[position] if position < len(self._cells) else ""

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def todict(self) -> dict[str, str]:
        """The cells as a dict (one C-level step, for reading many of them)."""
        return dict(zip(self._index, self._cells + ("",) * (len(self._index) - len(self._cells))))


@dataclass
class _Table:
    """What a format reader hands back: columns (name → line first seen), raw rows, problems."""

    columns: dict[str, int]
    #: A grid's rows are made as they are read (a CSV file's as it is parsed); its field-count and
    #: syntax problems are added to ``problems`` on the way.
    rows: Iterable[Row]
    problems: list[Problem]
    #: A grid's column → position index, shared by its rows' ``Cells`` (``None``: mapping rows,
    #: which may leave keys out).
    index: dict[str, int] | None = None


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[Row]:
    """Read a table file into rows holding every ``required`` and ``optional`` column as text.

    Blank lines and all-empty rows are skipped. Raises ``FactsError`` listing every problem:
    unreadable or non-UTF-8 file, bad syntax, empty file, no data rows, missing/unknown/duplicate
    columns, rows with too many or too few fields, nested values or NaN/Infinity in YAML/JSON,
    YAML/JSON nested deeper than ``MAX_DEPTH``.
    """
    return list(iter_rows(path, required, optional))


def iter_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Iterator[Row]:
    """``read_rows`` a row at a time: a CSV row is parsed when it is asked for, so a caller that lets
    each row go keeps no more than one. The ``FactsError`` listing every problem is raised once the
    rows run out: a caller must drop what it built from the rows when it comes (after a problem
    known from the header, no row is yielded)."""
    origin = str(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise FactsError(Problem(origin, f"unsupported file type {path.suffix!r}",
                                 expected=f"one of {', '.join(_READERS)}"))
    table = reader(path, origin)
    if table.columns and not table.columns.keys() & set(required):
        raise FactsError(_not_this_table(table.columns, required, origin))
    wanted = (*required, *optional)
    header_problems = _column_problems(table.columns, required, wanted, origin)
    early = bool(table.problems or header_problems)
    count = 0
    for row in _with_columns(table, wanted, origin):
        count += 1
        if not early:
            yield row
    problems = table.problems + header_problems
    if not problems and not count:
        problems.append(Problem(origin, "no data rows", line=1,
                                expected=f"at least one row with columns {', '.join(required)}"))
    if problems:
        raise FactsError(*problems)


def _with_columns(table: _Table, wanted: Sequence[str], origin: str) -> Iterable[Row]:
    """The table's rows, each reading every ``wanted`` column (one the file lacks as ``""``)."""
    if table.index is not None:
        table.index.update((name, len(table.index)) for name in wanted if name not in table.index)
        return table.rows
    empty = dict.fromkeys(wanted, "")
    return (Row(row.line, empty | dict(row.values), origin) for row in table.rows)


def read_text(path: Path, error: type[BriefError] = FactsError) -> str:
    """The file as UTF-8 text without a byte-order mark; undecodable bytes → ``error`` with the offset."""
    origin = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(Problem(origin, f"cannot read the file ({exc.strerror or exc})",
                            expected="an existing, readable file")) from exc
    start = len(BOM) if data.startswith(BOM) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(_bad_byte(data, start + exc.start, origin)) from exc
    if "\0" in text:
        raise error(_bad_byte(data, data.index(b"\0"), origin))
    return text


def _bad_byte(data: bytes, offset: int, origin: str) -> Problem:
    return Problem(origin, f"byte 0x{data[offset]:02X} at byte offset {offset} is not UTF-8 text",
                   line=data.count(b"\n", 0, offset) + 1,
                   expected="UTF-8 text (re-save the file as UTF-8)")


def load_yaml(text: str, origin: str, error: type[BriefError] = FactsError) -> YamlDoc:
    """Parse YAML with the safe loader only: bad syntax or tags such as ``!!python/...`` → ``error``.

    Keys given twice in one mapping (PyYAML would silently keep the last) come back as
    ``YamlDoc.problems`` so the caller can report them with everything else it finds.
    libyaml's safe loader, when installed, reads the file (~7× faster than pure Python); a file it
    rejects is read again by the pure-Python loader, so every error message stays that loader's.
    Nesting deeper than ``MAX_DEPTH`` → ``error`` at the line where it goes too deep.
    """
    _check_yaml_depth(text, origin, error)
    if yaml.__with_libyaml__:
        try:
            return _yaml_doc(yaml.CSafeLoader(text), origin)
        except yaml.YAMLError:
            pass
    return _yaml_doc_or_error(text, origin, error)


def _check_yaml_depth(text: str, origin: str, error: type[BriefError]) -> None:
    """Count nesting on the parser's event stream (the parser keeps its own stack; the composer
    that builds nodes recurses). libyaml stops at 1,000 levels with a syntax error, so a file it
    rejects is counted again by the pure-Python parser; bad syntax is left for the loader to report."""
    loaders: list[type[yaml.SafeLoader | yaml.CSafeLoader]] = [yaml.SafeLoader]
    if yaml.__with_libyaml__:
        loaders.insert(0, yaml.CSafeLoader)
    for loader in loaders:
        depth = 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        mark = event.start_mark
                        raise error(_too_deep(origin, None if mark is None else mark.line + 1))
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
            return
        except yaml.YAMLError:
            continue


def _too_deep(origin: str, line: int | None) -> Problem:
    return Problem(origin, f"nested more than {MAX_DEPTH} levels deep", line=line, expected=DEPTH_FORM)


def _yaml_doc(loader: yaml.SafeLoader | yaml.CSafeLoader, origin: str) -> YamlDoc:
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlDoc(data, node, tuple(_duplicate_keys(node, origin)))


def _yaml_doc_or_error(text: str, origin: str, error: type[BriefError]) -> YamlDoc:
    loader = yaml.SafeLoader(text)
    try:
        return _yaml_doc(loader, origin)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(Problem(origin, f"not valid YAML: {exc.problem or exc.context}",
                            line=None if mark is None else mark.line + 1,
                            expected="plain YAML data (safe loader: no !!python tags)")) from exc
    except yaml.YAMLError as exc:
        raise error(Problem(origin, f"not valid YAML: {exc}", expected="plain YAML data")) from exc


# --- column checks --------------------------------------------------------------------------------


def _column_problems(columns: Mapping[str, int], required: Sequence[str], wanted: Sequence[str],
                     origin: str) -> list[Problem]:
    if not columns:
        return []
    first = min(columns.values())
    problems = [Problem(origin, "missing required column", line=first, field=name,
                        expected=f"columns {', '.join(required)}")
                for name in required if name not in columns]
    problems += [Problem(origin, "unknown column", line=line, field=name,
                         expected=f"only the columns {', '.join(wanted)}")
                 for name, line in columns.items() if name not in wanted]
    return problems


def _not_this_table(columns: Mapping[str, int], required: Sequence[str], origin: str) -> Problem:
    """A file whose header has none of the required columns is some other file: one problem that
    quotes a little of its first line (not a problem per row, nor every 'column' it seems to have)."""
    return Problem(origin, f"no column of this table in the first row {quoted(','.join(columns))}",
                   line=min(columns.values()), expected=f"a table whose first row names the columns "
                                                        f"{', '.join(required)}")


def _header(cells: Sequence[str], line: int, origin: str) -> tuple[list[str], list[Problem]]:
    names = [cell.strip() for cell in cells]
    problems = [Problem(origin, "empty column name", line=line, field=f"column {i + 1}",
                        expected="a name in every header cell")
                for i, name in enumerate(names) if not name]
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(Problem(origin, "duplicate column", line=line, field=name,
                                    expected="each column name once"))
        seen.add(name)
    return names, problems


def _empty(origin: str) -> _Table:
    return _Table({}, [], [Problem(origin, "file is empty", expected="a header row and data rows")])


def _grid(records: Iterator[tuple[int, Sequence[str]]], origin: str, problems: list[Problem]) -> _Table:
    """Header + data records (line, cells) → a table whose rows are made as they are read; rows with
    a different field count are problems."""
    first = next(records, None)
    if first is None:
        return _empty(origin)
    header_line, header = first
    names, header_problems = _header(header, header_line, origin)
    problems += header_problems
    index = {name: i for i, name in enumerate(names)}
    rows = _grid_rows(records, index, len(names), origin, problems)
    return _Table({name: header_line for name in names if name}, rows, problems, index)


def _grid_rows(records: Iterator[tuple[int, Sequence[str]]], index: dict[str, int], width: int, origin: str,
               problems: list[Problem]) -> Iterator[Row]:
    for line, cells in records:
        if len(cells) != width:
            problems.append(Problem(origin, f"row has {_fields(len(cells))} but the header has {_fields(width)}",
                                    line=line,
                                    expected="one value per header column (quote values with commas)"))
        elif any(cells):
            yield Row(line, Cells(index, tuple(map(str.strip, cells))), origin)


# --- CSV ------------------------------------------------------------------------------------------


def _fields(count: int) -> str:
    return f"{count} field" if count == 1 else f"{count} fields"


def neutralised(cell: str) -> str:
    """A cell for a CSV a spreadsheet may open: text that would start a formula gets a leading ``'``
    (so does text already starting with ``'`` before such a character, so reading back is exact)."""
    return "'" + cell if _FORMULA.match(cell) and not _PLAIN_NUMBER.fullmatch(cell) else cell


def _unneutralised(cells: list[str]) -> list[str]:
    return [cell[1:] if cell[:1] == "'" and _FORMULA.match(cell) else cell for cell in cells]


def _csv_table(path: Path, origin: str) -> _Table:
    """The table, parsed as the file is read: a 100 MB file is never held as one text, and a row is
    parsed when it is asked for."""
    problems: list[Problem] = []
    return _grid(_csv_records(path, origin, problems), origin, problems)


class _Lines(Iterator[str]):
    """A CSV file's lines for ``csv.reader``; ``apostrophe`` tells whether the record being read has
    a ``'`` (it may hold a neutralised cell)."""

    def __init__(self, handle: Iterator[str]) -> None:
        self.handle = handle
        self.apostrophe = False

    def __next__(self) -> str:
        line = next(self.handle)
        if "\0" in line:
            raise ValueError("NUL in a text file")
        if "'" in line:
            self.apostrophe = True
        return line


def _csv_records(path: Path, origin: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each non-blank CSV record; malformed quoting ends it with a problem. A
    file that is not UTF-8 text (or holds NUL) is read again by ``read_text``, which raises the
    located error."""
    start = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = _Lines(handle)
            reader = csv.reader(lines, strict=True)
            for cells in reader:
                if cells:
                    yield start, _unneutralised(cells) if lines.apostrophe else cells
                lines.apostrophe = False
                start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(origin, f"malformed CSV ({exc})", line=start,
                                expected='RFC 4180 CSV: a quoted cell is "…" with "" for a quote'))
    except (OSError, ValueError):
        read_text(path)
        raise


# --- XLSX -----------------------------------------------------------------------------------------


def _xlsx_table(path: Path, origin: str) -> _Table:
    import pandas as pd  # only workbooks need it: importing pandas costs ~0.2 s of every start-up

    try:
        frame = pd.read_excel(path, header=None, dtype=str, keep_default_na=False,
                              na_filter=False, engine="openpyxl")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise FactsError(Problem(origin, f"not a readable workbook ({str(exc)[:QUOTE_LIMIT]})",
                                 expected="an .xlsx file whose first sheet is the table")) from exc
    records = ((i + 1, [_xlsx_cell(c) for c in cells])
               for i, cells in enumerate(frame.itertuples(index=False, name=None)))
    return _grid(records, origin, [])


def _xlsx_cell(text: str) -> str:
    """A cell as text; a date cell (pandas writes ``2024-05-26 00:00:00``) as its ISO date."""
    match = _XLSX_DATE.fullmatch(text)
    return text if match is None else match[1]


# --- YAML and JSON: a list of mappings, or a mapping holding one such list ------------------------


def _mapping_rows(items: Sequence[tuple[int, Sequence[tuple[object, object]]]], origin: str,
                  cell: Callable[[object], str | None]) -> _Table:
    """Rows given as (line, key/value pairs) → a table; nested or invalid values are problems."""
    rows: list[Row] = []
    table = _Table({}, rows, [])
    for line, pairs in items:
        values: dict[str, str] = {}
        for key, raw in pairs:
            name = str(key).strip()
            text = cell(raw)
            if text is None:
                table.problems.append(Problem(origin, f"{_describe(raw)} is not allowed here",
                                              line=line, field=name,
                                              expected="a single text, number, true/false or empty value"))
            values[name] = "" if text is None else text.strip()
            table.columns.setdefault(name, line)
        rows.append(Row(line, values, origin))
    return table


def _describe(raw: object) -> str:
    if isinstance(raw, _JsonConstant):
        return raw.name
    return "a list or mapping" if isinstance(raw, (list, dict, _JsonObject, yaml.Node)) else repr(raw)


def _yaml_table(path: Path, origin: str) -> _Table:
    doc = load_yaml(read_text(path), origin)
    table = _yaml_rows(doc.node, origin)
    table.problems[:0] = doc.problems
    return table


def _yaml_rows(node: yaml.Node | None, origin: str) -> _Table:
    sequence = _only_list(node, lambda n: n.value if isinstance(n, yaml.MappingNode) else None,
                          lambda n: n.value if isinstance(n, yaml.SequenceNode) else None)
    if sequence is None:
        if node is None:
            return _empty(origin)
        return _not_a_table(origin, node.start_mark.line + 1)
    items = []
    for item in sequence:
        if not isinstance(item, yaml.MappingNode):
            return _not_a_table(origin, item.start_mark.line + 1 if isinstance(item, yaml.Node) else None)
        items.append((item.start_mark.line + 1, [(k.value, v) for k, v in item.value]))
    return _mapping_rows(items, origin, _yaml_cell)


def _only_list(top: object, pairs_of: Callable[[object], Sequence[tuple[object, object]] | None],
               items_of: Callable[[object], list[object] | None]) -> list[object] | None:
    """The row list of a document: the top-level list, or the one list held by a one-key mapping."""
    pairs = pairs_of(top)
    return items_of(pairs[0][1] if pairs is not None and len(pairs) == 1 else top)


def _yaml_cell(node: object) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    return "" if node.tag == "tag:yaml.org,2002:null" else str(node.value)


def _not_a_table(origin: str, line: int | None) -> _Table:
    return _Table({}, [], [Problem(origin, "not a table", line=line,
                                   expected="a list of mappings (one per row), or a mapping "
                                            "with a single key holding that list")])


@dataclass(frozen=True)
class _JsonObject:
    """A JSON object as parsed: the line its ``{`` is on and its key/value pairs in order."""

    line: int
    pairs: list[tuple[str, object]]


@dataclass(frozen=True)
class _JsonConstant:
    """``NaN``, ``Infinity`` or ``-Infinity`` in JSON: kept so the row check can name its key."""

    name: str


# Undocumented internals of the json module (not in typeshed, hence getattr): the pure-Python
# object parser and scanner, so the decoder can report the line each object starts on.
_JSON_OBJECT: Callable[..., tuple[list[tuple[str, object]], int]] = getattr(json.decoder, "JSONObject")  # noqa: B009
_PY_SCANNER: Callable[[json.JSONDecoder], Callable[[str, int], tuple[object, int]]] = getattr(  # noqa: B009
    json.scanner, "py_make_scanner")


class _LocatingDecoder(json.JSONDecoder):
    """A JSON decoder that keeps number literals as text and records the line of every object."""

    def __init__(self, text: str, origin: str) -> None:
        super().__init__(parse_float=str, parse_int=str, parse_constant=_JsonConstant,
                         object_pairs_hook=list)
        newlines = [m.start() for m in re.finditer("\n", text)]
        self.problems: list[Problem] = []

        def parse_object(s_and_end: tuple[str, int], *args: object) -> tuple[_JsonObject, int]:
            pairs, end = _JSON_OBJECT(s_and_end, *args)
            line = bisect_right(newlines, s_and_end[1]) + 1
            keys = [key for key, _ in pairs]
            self.problems += [Problem(origin, "duplicate key", line=line, field=key,
                                      expected="each key once per object")
                              for i, key in enumerate(keys) if key in keys[:i]]
            return _JsonObject(line, pairs), end

        self.parse_object = parse_object
        self.scan_once = _PY_SCANNER(self)


def _json_table(path: Path, origin: str) -> _Table:
    text = read_text(path)
    if not text.strip():
        return _empty(origin)
    _check_json_depth(text, origin)
    decoder = _LocatingDecoder(text, origin)
    try:
        top = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise FactsError(Problem(origin, f"not valid JSON: {exc.msg} (column {exc.colno})",
                                 line=exc.lineno, expected="strict JSON")) from exc
    sequence = _only_list(top, lambda o: o.pairs if isinstance(o, _JsonObject) else None,
                          lambda o: o if isinstance(o, list) else None)
    if sequence is None or not all(isinstance(item, _JsonObject) for item in sequence):
        return _not_a_table(origin, top.line if isinstance(top, _JsonObject) else 1)
    items = [(item.line, item.pairs) for item in sequence if isinstance(item, _JsonObject)]
    table = _mapping_rows(items, origin, _json_cell)
    table.problems[:0] = decoder.problems
    return table


def _check_json_depth(text: str, origin: str) -> None:
    """Count nesting on the brackets outside strings (the decoder recurses once per level)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match[0]
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FactsError(_too_deep(origin, text.count("\n", 0, match.start()) + 1))
        elif token in "]}":
            depth -= 1


def _json_cell(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def _duplicate_keys(node: yaml.Node | None, origin: str) -> Iterator[Problem]:
    """Every mapping key given twice anywhere in a YAML node tree (PyYAML silently keeps the last)."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[object] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value in keys:
                    yield Problem(origin, "duplicate key", line=key.start_mark.line + 1,
                                  field=str(key.value), expected="each key once per mapping")
                keys.add(key.value if isinstance(key, yaml.ScalarNode) else id(key))
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value


_READERS: dict[str, Callable[[Path, str], _Table]] = {
    ".csv": _csv_table,
    ".yaml": _yaml_table,
    ".yml": _yaml_table,
    ".json": _json_table,
    ".xlsx": _xlsx_table,
}
