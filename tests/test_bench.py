"""bench/run.py --smoke → it runs end to end and prints the results table (no timing assertions)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_smoke_benchmark_prints_the_table_and_writes_no_results_file(tmp_path: Path) -> None:
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_bytes() if results.exists() else None
    proc = subprocess.run([sys.executable, "bench/run.py", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| metric | median | target | ✓/✗ |" in proc.stdout
    for metric in ("cold build, both editions", "warm build ja", "warm build en", "bare platypus render ja",
                   "raw canvas drawString floor en", "HTML route ÷ briefgen warm build, ja",
                   "load + validate 100 facts", "render a 1-page brief", "delivery, 1.5 KB PDF: 20 readers",
                   "delivery, real brief PDFs"):
        assert metric in proc.stdout, metric
    assert "| 20 / 20 / 1 | 20 / 20 / 1 | ✓ |" in proc.stdout  # nothing lost or doubled
    assert "CPUs (" in proc.stdout and "Python 3." in proc.stdout
    assert (results.read_bytes() if results.exists() else None) == before


def test_results_file_keeps_notes_around_the_generated_table(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = run  # dataclasses look their module up while the class is built
    spec.loader.exec_module(run)
    path = tmp_path / "RESULTS.md"
    path.write_text(f"# Results\n\nintro\n\n{run.START}\nold table\n{run.END}\n\n## Notes\nkept\n", encoding="utf-8")
    run.write_results(path, "| metric | median | target | ✓/✗ |\n| x | 1 s | ≤ 2 s | ✓ |")
    text = path.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# Results\n\nintro\n\n") and text.endswith("## Notes\nkept\n")
    assert "| x | 1 s | ≤ 2 s | ✓ |" in text


def test_the_readme_table_is_rows_of_the_latest_full_run() -> None:
    """The README's benchmark rows come from the run in bench/RESULTS.md (bench/run.py copies them),
    including the cold build's ratio to bare platypus measured side by side."""
    def block(text: str, start: str, end: str) -> str:
        return text[text.index(start) + len(start):text.index(end)]

    readme = block((ROOT / "README.md").read_text(encoding="utf-8"), "<!-- bench:start -->", "<!-- bench:end -->")
    results = block((ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8"), "<!-- results:start -->",
                    "<!-- results:end -->")
    rows = [line for line in readme.splitlines() if line.startswith("| ")]
    assert readme.splitlines()[1] == results.splitlines()[1]  # the same machine line and date
    assert len(rows) > 10 and all(row in results.splitlines() for row in rows)
    assert any(row.startswith("| cold build ÷ cold bare platypus render (same rounds) | ") for row in rows)
