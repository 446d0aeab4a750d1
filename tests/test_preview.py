"""``run.py preview``: page PNGs in reports/<brief>/preview/, and the live-reload page (``--serve``) that
redraws when the facts, spec or templates are saved and shows a build error instead of stopping."""

from __future__ import annotations

import datetime as dt
import json
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path
from typing import Iterator

import pytest
from conftest import ROOT
from hardening import BRIEF, EDITION, Workspace, assert_refused, run
from PIL import Image

from briefgen import preview


def _image(path_or_bytes: Path | bytes) -> Image.Image:
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    image = Image.open(BytesIO(data))
    assert image.format == "PNG"
    return image


def _non_blank(image: Image.Image) -> bool:
    darkest, lightest = image.convert("L").getextrema()
    return darkest < 64 and lightest > 200


def test_preview_writes_every_page_of_every_language_and_nothing_else(ws: Workspace) -> None:
    shown = ws.reports / BRIEF / "preview"
    shown.mkdir(parents=True)
    (shown / "ja-9.png").write_bytes(b"a page of a longer, older preview")
    result = run(*ws.options(), "preview", BRIEF)
    assert (result.code, result.err) == (0, "")
    written = [Path(line) for line in result.out.splitlines()]
    names = sorted(p.name for p in shown.iterdir())
    assert names == sorted(p.name for p in written) and "ja-9.png" not in names
    for lang in ("ja", "en"):
        mine = sorted(p for p in written if p.name.startswith(f"{lang}-"))
        assert [p.name for p in mine] == [f"{lang}-{n}.png" for n in range(1, len(mine) + 1)] and len(mine) >= 2
        for path in mine:
            with _image(path) as image:
                assert image.size[0] == preview.WIDTH and abs(image.size[1] / image.size[0] - 842 / 595) < 0.01
                assert _non_blank(image), path
    assert len({p.read_bytes() for p in written}) == len(written)
    shutil.rmtree(shown)
    ws.assert_untouched()  # no PDF, snapshot or manifest: a preview is not an edition (the old PDFs stay)


def test_preview_of_one_language_at_another_width_and_of_a_broken_brief(ws: Workspace) -> None:
    result = run(*ws.options(), "preview", BRIEF, "--lang", "en", "--width", "600")
    assert result.code == 0 and all("/en-" in line for line in result.out.splitlines())
    with _image(Path(result.out.splitlines()[0])) as image:
        assert image.size[0] == 600 and _non_blank(image)
    line = ws.set_fact("xai_h100_count", value="10万")
    assert_refused(run(*ws.options(), "preview", BRIEF), f"facts.csv:{line}", "10万")
    with pytest.raises(SystemExit) as usage:
        run(*ws.options(), "preview", BRIEF, "--width", "9000")
    assert usage.value.code == 2


# --- live reload, driven step by step --------------------------------------------------------------


class Stepper:
    """The watch loop's ``wait``: each call says the loop is idle, then blocks until the test steps it."""

    def __init__(self) -> None:
        self.idle: queue.Queue[None] = queue.Queue()
        self.go: queue.Queue[None] = queue.Queue()

    def __call__(self, seconds: float) -> None:
        self.idle.put(None)
        self.go.get()

    def step(self) -> None:
        """Let the loop look at the files once, and wait until it has (rebuilt or not)."""
        self.idle.get(timeout=120)
        self.go.put(None)
        self.idle.get(timeout=120)
        self.idle.put(None)  # still idle: the next step finds it so


def _get(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.headers["Content-Type"], reply.read()


def _version(base: str) -> dict[str, object]:
    return dict(json.loads(_get(base + "version")[1]))


@pytest.fixture
def live(ws: Workspace) -> Iterator[tuple[Workspace, preview.Preview, Stepper, str]]:
    where = preview.Where(BRIEF, ws.data, ws.templates, ws.reports, lang="en", today=dt.date.fromisoformat(EDITION),
                          width=400)
    page = preview.Preview(where)
    assert page.refresh() and page.version == 1 and page.error == ""
    http = preview.server(page)
    stop, stepper = threading.Event(), Stepper()
    threads = [threading.Thread(target=http.serve_forever),
               threading.Thread(target=preview.watch, args=(page, stop, stepper))]
    for thread in threads:
        thread.start()
    try:
        yield ws, page, stepper, f"http://127.0.0.1:{http.server_address[1]}/"
    finally:
        stop.set()
        stepper.go.put(None)
        http.shutdown()
        http.server_close()
        for thread in threads:
            thread.join(timeout=60)


def test_the_page_redraws_when_facts_spec_or_templates_are_saved_and_shows_errors(
        live: tuple[Workspace, preview.Preview, Stepper, str]) -> None:
    ws, page, stepper, base = live
    kind, html = _get(base)
    assert kind == "text/html; charset=utf-8" and '<img src="/page/en/1.png?v=1"' in html.decode()
    assert b'fetch("/version"' in html
    first = _get(base + "page/en/1.png")[1]
    with _image(first) as image:
        assert image.size[0] == 400 and _non_blank(image)
    stepper.step()  # nothing saved: nothing redrawn
    assert _version(base) == {"version": 1, "error": ""}

    ws.set_fact("xai_h100_count", value="120000")  # facts
    stepper.step()
    assert _version(base) == {"version": 2, "error": ""} and _get(base + "page/en/1.png")[1] != first

    line = ws.set_fact("xai_h100_count", value="12万")  # a broken save: the error, over the last good pages
    stepper.step()
    state = _version(base)
    assert state["version"] == 3 and f"facts.csv:{line}: value: not a number: '12万'" in str(state["error"])
    html = _get(base)[1].decode()
    assert "not a number: &#x27;12万&#x27;" in html and '<img src="/page/en/1.png?v=3"' in html
    assert _get(base + "page/en/1.png")[0] == "image/png"

    ws.set_fact("xai_h100_count", value="100000")
    template = ws.templates / BRIEF / "en.md"
    template.write_text(template.read_text(encoding="utf-8").replace("## Compute", "## Compute power"),
                        encoding="utf-8")  # and a template, in the same step
    stepper.step()
    assert _version(base) == {"version": 4, "error": ""}
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace('en: "xAI', 'en: "Preview: xAI'), encoding="utf-8")
    stepper.step()
    assert _version(base) == {"version": 5, "error": ""} and page.pages is not None
    with pytest.raises(urllib.error.HTTPError):
        _get(base + "page/en/99.png")


def test_preview_serve_prints_its_url_redraws_on_save_and_stops_on_sigterm(ws: Workspace) -> None:
    """The command itself, in its own process: the URL, a redraw after a save (its own half-second
    polling, waited for with a deadline), and a clean exit on SIGTERM."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *ws.options(), "preview", BRIEF, "--lang", "en",
                             "--serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.match(r"preview at (http://127\.0\.0\.1:\d+/) — ", line)
        assert found, line
        base = found[1]
        assert _version(base)["version"] == 1
        ws.set_fact("xai_h100_count", value="120000")
        deadline = time.monotonic() + 120
        while _version(base)["version"] == 1:
            assert time.monotonic() < deadline, "no redraw after the facts were saved"
            time.sleep(0.1)  # polling the server's version with a deadline, not timing anything
        assert (ws.reports / BRIEF / "preview" / "en-1.png").is_file()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
