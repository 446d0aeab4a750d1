"""Libraries imported with what a brief never uses left for its first use: wide patterns wait, then match as the
library's own; PIL's Image module waits through a build and works when a page picture needs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, ROOT, TEMPLATES

from briefgen.base.lazyimports import LazyPattern, import_with_lazy_patterns, import_without, load_on_first_use

#: What the patterns are used for: URLs ReportLab's hyphenation splits (and text it must not), CJK text
#: cjkwrap splits, and text PyYAML's pure-Python reader checks for characters YAML does not allow.
URLS = ("https://example.com/a/b/c", "HTTP://EXAMPLE.COM/Path", "ftp://user:pw@192.168.0.1:8080/x?y=1#z",
        "https://例え.テスト/ページ/二", "https://[2001:db8::1]/a", "http://localhost:5000/", "https://xn--r8jz45g.xn--zckzah/",
        "mailto:someone@example.com", "https://-bad-.com/", "not a url", "https://a.b", "C:\\dir\\file")
CJK = "xAI社のColossusは10万台のGPUを使う"
YAML_TEXTS = ("title: 10万台\n", "a: b\x07c\n", "a: \ufffe\n", "a: 😀\ud800\n", "a: \x85 \t ok\n")
USE = f"""
import json
import yaml
from reportlab.lib import textsplit
from reportlab.platypus import paragraph
wide = (paragraph.uri_pat, textsplit.rx, yaml.reader.Reader.NON_PRINTABLE)
waiting = [type(p).__name__ for p in wide if not getattr(p, "compiled", True)]
matches = [[m.span(), m.groups()] if (m := paragraph.uri_pat.match(u)) else None for u in {URLS!r}]
splits = [paragraph._uri_split_pairs(u) for u in {URLS!r}]
def problem(text):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return str(exc)
found = [problem(t) for t in {YAML_TEXTS!r}]
source = [[p.pattern, p.flags] for p in wide]
print(json.dumps([waiting, matches, splits, found, source, textsplit.rx.sub(r"\\1|", {CJK!r})]))
"""


def _run(code: str) -> list[object]:
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return list(json.loads(proc.stdout.splitlines()[-1]))


def test_the_build_imports_leave_the_wide_patterns_waiting_and_they_match_as_the_libraries_compile_them() -> None:
    waiting, *lazy = _run("import briefgen.pipeline, briefgen.render.render\n" + USE)
    plain_waiting, *plain = _run(USE)
    assert (waiting, plain_waiting) == (["LazyPattern"] * 3, [])
    assert lazy == plain
    matches, _, found = lazy[:3]
    assert isinstance(matches, list) and matches[0] is not None and matches[URLS.index("not a url")] is None
    assert isinstance(found, list) and found[0] == {"title": "10万台"} and "special characters are not allowed" in found[1]


def test_import_lazily_defers_only_the_listed_modules_wide_patterns(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    source = ('import re\nWIDE = re.compile("[a-\\uffff]+", re.I)\nBEYOND = re.compile("[\\xa0-\\U0010ffff]")\n'
              'NARROW = re.compile("[a-z]+")\n')
    (tmp_path / "lazy_listed.py").write_text(source, encoding="utf-8")
    (tmp_path / "lazy_unlisted.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_listed", "lazy_unlisted"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    compile_before = re.compile

    listed = import_with_lazy_patterns("lazy_listed", ("lazy_listed",))
    unlisted = import_with_lazy_patterns("lazy_unlisted", ("lazy_listed",))

    assert re.compile is compile_before
    assert isinstance(listed.WIDE, LazyPattern) and not listed.WIDE.compiled and isinstance(listed.BEYOND, LazyPattern)
    assert isinstance(listed.NARROW, re.Pattern) and isinstance(unlisted.WIDE, re.Pattern)
    assert listed.WIDE.fullmatch("ÄbC漢字").span() == unlisted.WIDE.fullmatch("ÄbC漢字").span() == (0, 5)
    assert listed.WIDE.compiled and listed.WIDE.flags == unlisted.WIDE.flags
    assert import_with_lazy_patterns("lazy_listed", ("lazy_listed",)) is listed


def test_import_lazily_puts_re_compile_back_when_the_import_fails(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lazy_broken.py").write_text('import re\nWIDE = re.compile("[a-\\uffff]")\n1 / 0\n', encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    compile_before = re.compile
    with pytest.raises(ZeroDivisionError):
        import_with_lazy_patterns("lazy_broken", ("lazy_broken",))
    assert re.compile is compile_before


def test_a_build_leaves_pils_image_module_waiting_and_a_page_picture_loads_it(tmp_path: Path) -> None:
    code = f"""
import json, sys
from briefgen.cli import main
assert main(['--data', {str(DATA)!r}, '--templates', {str(TEMPLATES)!r}, '--reports', {str(tmp_path)!r},
             '--date', '2024-07-29', '-q', 'build', 'xai-colossus', '--lang', 'en']) == 0
after_build = type(sys.modules['PIL.Image']).__name__
from briefgen.render import pages
png = pages.first_page_png(open({str(tmp_path / "xai-colossus" / "2024-07-29.en.pdf")!r}, 'rb').read())
from PIL import Image
from reportlab.lib.utils import ImageReader
size = ImageReader(Image.new('RGB', (3, 2))).getSize()
print(json.dumps([after_build, type(sys.modules['PIL.Image']).__name__, png[:8].hex(), list(size)]))
"""
    assert _run(code) == ["_LazyModule", "module", "89504e470d0a1a0a", [3, 2]]


def test_load_on_first_use_runs_the_module_when_an_attribute_is_first_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lazy_pkg").mkdir()
    (tmp_path / "lazy_pkg" / "__init__.py").write_text("ran = []\n", encoding="utf-8")
    (tmp_path / "lazy_pkg" / "heavy.py").write_text("import lazy_pkg\nlazy_pkg.ran.append('heavy')\nVALUE = 42\n",
                                                    encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazy_pkg", "lazy_pkg.heavy"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    module = load_on_first_use("lazy_pkg.heavy")
    import lazy_pkg
    from lazy_pkg import heavy

    assert heavy is module and lazy_pkg.ran == []
    assert heavy.VALUE == 42 and lazy_pkg.ran == ["heavy"]
    assert load_on_first_use("lazy_pkg.heavy") is module and lazy_pkg.ran == ["heavy"]


def test_babel_finds_the_local_zone_without_pytz_and_pytz_still_serves_the_scheduler() -> None:
    code = """
import json, sys, datetime as dt
from briefgen.base import numfmt
from briefgen.base.model import PartialDate
before = "pytz" in sys.modules
import babel.dates, babel.localtime
dates = [numfmt.date(dt.date(2024, 7, 29), lang) for lang in ("ja", "en")] + [numfmt.date(PartialDate(2023, 7), "en")]
import pytz
import schedule
job = schedule.Scheduler().every().monday.at("08:00", "Asia/Tokyo").do(print)
print(json.dumps([before, babel.dates.pytz is None, type(babel.localtime.LOCALTZ).__module__, dates,
                  str(pytz.timezone("Asia/Tokyo")), job.next_run is not None]))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    before, no_pytz, zone_module, dates, tokyo, scheduled = json.loads(proc.stdout.splitlines()[-1])
    assert (before, no_pytz, zone_module) == (False, True, "zoneinfo")
    assert dates == ["2024年7月29日", "July 29, 2024", "July 2023"]
    assert tokyo == "Asia/Tokyo" and scheduled


def test_import_without_hides_the_optional_module_only_meanwhile(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "optional_mod.py").write_text("VALUE = 1\n")
    (tmp_path / "tries_it.py").write_text("try:\n    import optional_mod\nexcept ModuleNotFoundError:\n"
                                          "    optional_mod = None\n")
    (tmp_path / "breaks.py").write_text("raise RuntimeError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert import_without("tries_it", "optional_mod").optional_mod is None
        with pytest.raises(RuntimeError, match="broken"):
            import_without("breaks", "optional_mod")
        import optional_mod  # importable again, after a failed import too

        del sys.modules["tries_it"]
        assert import_without("tries_it", "optional_mod").optional_mod is optional_mod  # loaded: not hidden
    finally:
        for name in ("tries_it", "optional_mod", "breaks"):
            sys.modules.pop(name, None)
