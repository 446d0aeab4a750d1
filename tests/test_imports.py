"""Import structure: a command loads only what it uses (checked in fresh interpreters; nothing timed here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA, ROOT, TEMPLATES

#: Never needed to build a brief from CSV/YAML data: spreadsheets, NumPy, mail and the scheduler,
#: article extraction, the benchmark's HTML route, PIL's imaging core (ReportLab imports ``PIL.Image``,
#: which waits for its first use: ``base/lazyimports``).
NOT_FOR_BUILD = ("pandas", "numpy", "pytz", "openpyxl", "weasyprint", "smtplib", "sqlite3", "schedule", "PIL._imaging",
                 "briefgen.extract.extract",
                 "briefgen.extract.numbergrammar", "briefgen.deliver.delivery", "briefgen.deliver.mail", "briefgen.deliver.send", "briefgen.deliver.ledger",
                 "briefgen.deliver.scheduling", "briefgen.load.readers", "briefgen.load.settings",
                 "briefgen.load.history")


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of ``names`` it left in ``sys.modules``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(names)!r} if m in sys.modules]))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return list(json.loads(proc.stdout.splitlines()[-1]))


def test_the_build_path_imports_neither_pint_nor_anything_build_does_not_use() -> None:
    code = ("from briefgen import cli\n"
            "args = cli.parser().parse_args(['build', 'xai-colossus'])\n"
            "import briefgen.pipeline, briefgen.render.render")
    assert _loaded_after(code, ("pint", *NOT_FOR_BUILD)) == []


def test_the_command_line_and_its_log_setup_import_no_library() -> None:
    libraries = ("reportlab", "jinja2", "yaml", "babel", "pint", "PIL", "pandas", "schedule", "smtplib")
    assert _loaded_after("import briefgen.cli, briefgen.base.logs", libraries) == []


def _build(project: Path, *options: str) -> str:
    """Code that builds the reference brief of ``project`` (a copy of the fixture) through the CLI."""
    argv = ["--data", str(project / "data"), "--templates", str(TEMPLATES), "--reports", str(project / "reports"),
            "--state", str(project / "var"), "--date", "2024-07-29", "build", "xai-colossus", *options]
    return f"from briefgen.cli import main\nassert main({argv!r}) == 0"


def _set_up(project: Path) -> None:
    shutil.copytree(DATA, project / "data")
    code = ("from briefgen.cli import main\n"
            f"assert main(['--data', {str(project / 'data')!r}, '--templates', {str(TEMPLATES)!r}, "
            f"'--state', {str(project / 'var')!r}, '-q', 'cache']) == 0")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


def test_a_build_after_set_up_asks_pint_nothing_and_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    _set_up(tmp_path)
    assert _loaded_after(_build(tmp_path), ("pint", *NOT_FOR_BUILD)) == []
    assert sorted(p.name for p in (tmp_path / "reports" / "xai-colossus").glob("*.pdf")) == [
        "2024-07-29.en.pdf", "2024-07-29.ja.pdf"]


def test_a_unit_set_up_never_saw_is_asked_of_pint_once(tmp_path: Path) -> None:
    _set_up(tmp_path)
    with (tmp_path / "data" / "units.yaml").open("a", encoding="utf-8") as f:
        f.write('  MW*h: {ja: "{}メガワット時", en: "{} MWh"}\n')
    assert _loaded_after(_build(tmp_path), ("pint",)) == ["pint"]
    assert _loaded_after(_build(tmp_path, "--lang", "en"), ("pint",)) == []


def test_without_set_up_a_build_asks_pint_and_writes_no_cache(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "data")
    assert _loaded_after(_build(tmp_path), ("pint", *NOT_FOR_BUILD)) == ["pint"]
    assert not (tmp_path / "var" / "cache").exists()


def test_numpy_and_pandas_still_work_after_pint_loaded_without_numpy() -> None:
    code = ("from briefgen.base import units\nfrom briefgen.compute import compare\n"
            "assert str(compare.conversion_factor(units.parse('gallon/day'), 'm**3/day')) == '0.003785411784'\n"
            "import numpy, pandas\n"
            "assert int(numpy.arange(4).sum()) == 6 and len(pandas.DataFrame({'a': [1, 2]})) == 2\n"
            "assert str(compare.conversion_factor(units.parse('MW*year'), 'TWh')) == '0.008766'")
    assert _loaded_after(code, ("pint", "numpy", "pandas")) == ["pint", "numpy", "pandas"]
