"""Start-up compilations (``briefgen.base.codecache``): recorded at set-up, served afterwards, never a different result.

Every check runs in fresh interpreters: recording only sees what a new process imports, and serving
hooks ``re`` and ``dataclasses`` for the whole process. The module is loaded there from its file, on
its own, so that the file under test is the one served (the package would serve the checkout's).
"""

from __future__ import annotations

import binascii
import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from briefgen import pipeline
from briefgen.base import codecache

CODECACHE = ROOT / "briefgen" / "base" / "codecache.py"

#: A module that compiles what briefgen's imports compile: wide CJK classes, named groups, flags, bytes
#: patterns, and every kind of dataclass the package declares.
PROBE = r'''
import dataclasses
import re
from dataclasses import dataclass, field

PATTERNS = [
    ("[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+", 0),
    (r"(?P<number>[0-9０-９][0-9,.]*)(?:[万億兆](?P<more>[0-9]+)?)*\s?(?P<unit>ドル|円|GPU|MW)", re.IGNORECASE),
    (r"""
        ^(?P<year>[0-9]{4})-(?P<month>[0-9]{2})   # a month
        (?:-(?P<day>[0-9]{2}))?$                   # and maybe a day
    """, re.VERBOSE),
    (r"(?<![A-Za-z0-9])[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\b", re.MULTILINE | re.ASCII),
    (rb"(__libc_init)|(GLIBC_([0-9.]+))|(libc(_\w+)?\.so(?:\.(\d[0-9.]*))?)", re.ASCII),
    (b"([*?[])", 0),
]
COMPILED = [re.compile(source, flags) for source, flags in PATTERNS]


@dataclass(frozen=True)
class Source:
    name: str
    url: str | None = None


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    year: int
    month: int | None = None


@dataclass(frozen=True, kw_only=True)
class Ratio:
    of: str
    to: str
    places: int = 1


@dataclass(frozen=True, eq=False)
class Handle:
    label: str


@dataclass
class Tally:
    names: list[str] = field(default_factory=list)
    total: int = 0
'''

#: In the served interpreter: serve argv[1], import the probe, compare everything with what ``re`` and
#: ``dataclasses`` compile on their own, and print the findings as JSON.
SERVED = r'''
import dataclasses, inspect, json, re, runpy, sys
from pathlib import Path

cache = runpy.run_path(sys.argv[2])
serving = cache["serve"](Path(sys.argv[1]))
import probe

stock_compile = cache["_COMPILE_PATTERN"]
patterns_equal = [re.compile(s, f) == stock_compile(s, f) for s, f in probe.PATTERNS]
served = dict(cache["counts"])

def methods(cls):
    found = {}
    for name, value in vars(cls).items():
        function = inspect.unwrap(value) if callable(value) else None
        code = getattr(function, "__code__", None)
        if code is not None and code.co_filename == "<string>":
            found[name] = code
    return found

vars(dataclasses).pop("exec", None)  # the builtin again: the same classes, compiled as usual
stock = runpy.run_path(probe.__file__)
classes = ("Source", "PartialDate", "Ratio", "Handle", "Tally")
methods_equal = {name: methods(getattr(probe, name)) == methods(stock[name]) for name in classes}
counted = {name: len(methods(getattr(probe, name))) for name in classes}
behaves = (probe.PartialDate(2024, 7) < probe.PartialDate(2024, 8)
           and probe.Ratio(of="a", to="b") == probe.Ratio(of="a", to="b", places=1)
           and hash(probe.Source("x")) == hash(probe.Source("x"))
           and repr(probe.Tally()) == "Tally(names=[], total=0)"
           and probe.Handle("h") != probe.Handle("h"))
try:
    probe.Source("x").name = "y"
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps({"serving": serving, "patterns_equal": patterns_equal, "methods_equal": methods_equal,
                  "counted": counted, "served": served, "behaves": behaves, "frozen": frozen}))
'''


def _python(code: str, *args: str, cwd: Path = ROOT, seed: str = "0") -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture()
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The probe module in a folder every child interpreter imports from; returns the recorded file."""
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return codecache.write(tmp_path / "startup.marshal", ["probe"])


def _served(path: Path) -> dict[str, object]:
    return dict(json.loads(_python(SERVED, str(path), str(CODECACHE), cwd=path.parent)))


def test_what_set_up_recorded_is_served_and_is_what_re_and_dataclasses_compile(probe: Path) -> None:
    tables = codecache.unpack(probe.read_bytes())
    assert tables is not None and len(tables[0]) == 6 and len(tables[1]) >= 20
    found = _served(probe)
    assert found["serving"] is True
    assert found["patterns_equal"] == [True] * 6  # equal patterns: same flags, same source, same code
    assert found["methods_equal"] == dict.fromkeys(("Source", "PartialDate", "Ratio", "Handle", "Tally"), True)
    assert found["counted"]["PartialDate"] >= 8  # __init__, __repr__, __eq__, __lt__ … __setattr__
    assert found["served"] == {"served": 6 + sum(found["counted"].values())}  # nothing compiled from source
    assert found["behaves"] is True and found["frozen"] is True


def test_an_entry_re_refuses_or_that_does_not_load_is_compiled_as_usual(probe: Path) -> None:
    tables = codecache.unpack(probe.read_bytes())
    assert tables is not None
    patterns, methods = tables
    wide = next(key for key in patterns if key[1] == "[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]+")
    patterns[wide] = (patterns[wide][0], b"\xff\xff\x00\x00" * 3, *patterns[wide][2:])  # no such SRE opcode
    methods[next(iter(methods))] = b"not marshal"
    probe.write_bytes(codecache.pack(patterns, methods))
    found = _served(probe)
    assert found["patterns_equal"] == [True] * 6
    assert set(found["methods_equal"].values()) == {True}  # type: ignore[union-attr]
    assert found["served"]["compiled"] == 2  # type: ignore[index]
    assert found["behaves"] is True


def test_a_file_damaged_anywhere_is_not_served(probe: Path) -> None:
    data = bytearray(probe.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in the middle of the tables
    probe.write_bytes(bytes(data))
    found = _served(probe)
    assert found["serving"] is False and found["served"] == {}
    assert found["patterns_equal"] == [True] * 6 and found["behaves"] is True


@pytest.mark.parametrize("content", [
    None,  # missing
    b"",
    b"\x00garbage\xff",
    marshal.dumps(("cpython-39", {}, {}, {})),  # a tuple of the wrong shape
    marshal.dumps((("cpython-39", b"a\r\r\n", 20171005, 4, 0), 0, marshal.dumps(({}, {})))),  # another interpreter's
    "this interpreter, wrong tables",
    "another bug-fix release",
])
def test_a_missing_damaged_or_foreign_file_is_not_served_and_hooks_nothing(tmp_path: Path,
                                                                         content: bytes | str | None) -> None:
    path = tmp_path / "startup.marshal"
    if content == "this interpreter, wrong tables":
        tables = marshal.dumps(([], "methods"))
        path.write_bytes(marshal.dumps((codecache._INTERPRETER, binascii.crc32(tables), tables)))
    elif content == "another bug-fix release":  # same bytecode and engine magic, perhaps another parser
        tables = marshal.dumps(({}, {}))
        release = ("3.11.0 (main, Oct 24 2022)", *codecache._INTERPRETER[1:])
        path.write_bytes(marshal.dumps((release, binascii.crc32(tables), tables)))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    code = ("import dataclasses, re, runpy, sys; from pathlib import Path\n"
            "cache = runpy.run_path(sys.argv[2])\n"
            "print(cache['serve'](Path(sys.argv[1])), re._compiler.compile is cache['_COMPILE_PATTERN'],\n"
            "      'exec' in vars(dataclasses), re.compile('[一-鿿]+').fullmatch('東京') is not None)")
    assert _python(code, str(path), str(CODECACHE)).split() == ["False", "True", "False", "True"]


def test_the_command_line_compiles_nothing_from_source_after_set_up(tmp_path: Path) -> None:
    recorded = tmp_path / "startup.marshal"
    _python(f"import runpy, sys; runpy.run_path({str(CODECACHE)!r}, run_name='__main__')", "-", str(recorded),
            *codecache.STARTUP)
    code = ("import runpy, sys; from pathlib import Path\n"
            "cache = runpy.run_path(sys.argv[2])\n"
            "assert cache['serve'](Path(sys.argv[1]))\n"
            "import briefgen.cli, briefgen.pipeline, briefgen.render.render\n"
            "print(cache['counts']['served'], cache['counts']['compiled'])")
    served, compiled = map(int, _python(code, str(recorded), str(CODECACHE)).split())
    assert served > 400 and compiled == 0


def test_the_packages_own_file_is_served_when_set_up_made_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # ReportLab joins a set into one of its patterns
    codecache.write()  # what `run.py cache` does: the same entries for the same code
    code = ("import briefgen.cli, briefgen.pipeline, briefgen.render.render\nfrom briefgen.base import codecache\n"
            "print(codecache.counts['served'] > 400, codecache.counts['compiled'])")
    assert _python(code).split() == ["True", "0"]


def test_set_up_goes_on_without_it_where_the_package_folder_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(codecache, "PATH", tmp_path / "a-file" / "startup.marshal")
    made = pipeline.make_caches(ROOT / "templates", tmp_path / "no-data", tmp_path / "cache")
    assert made and all(path.is_relative_to(tmp_path / "cache") for path in made)
    assert "could not record the start-up compilations" in caplog.text and "a-file" in caplog.text
