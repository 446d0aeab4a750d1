"""A brief on disk → its pages as PNGs in ``reports/<brief>/preview/``, and a live-reload page on 127.0.0.1.

``render`` builds every language in memory (nothing is archived, no snapshot written: a preview is not
an edition) and draws each page (``briefgen.render.pages``); ``write`` puts them in the preview folder,
removing pages a shorter brief no longer has. ``Preview`` keeps the latest pages and a version number:
``refresh`` rebuilds when any watched file changed (the brief's folder, its facts and sources, the data
folder's ``units.yaml``, the templates folder — compared by modification time, size and inode, so a
save in place or by rename both count) and remembers the error instead of the pages when the build
fails. ``server`` serves, on 127.0.0.1 with the standard library's ``http.server``: ``/`` (the pages,
or the error over the last good pages; the page asks ``/version`` every half second and reloads when
it changed), ``/version`` (JSON) and ``/page/<lang>/<n>.png``. ``watch`` is the loop between them,
with an injectable ``wait`` so tests drive it without sleeping.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator, Mapping

from briefgen import pipeline
from briefgen.base import output
from briefgen.base.errors import BriefError, Problem, RenderError
from briefgen.compose import compose
from briefgen.load import spec
from briefgen.render import pages

log = logging.getLogger("briefgen")

#: Preview pages are this many pixels wide (about 150 dpi on A4): sharp on a screen, quick to draw.
WIDTH = 1240
POLL_SECONDS = 0.5
FOLDER = "preview"


@dataclass(frozen=True)
class Where:
    """What to preview and where its inputs are: a brief (id or spec path), languages, the edition date."""

    brief: str
    data_dir: Path
    templates_dir: Path
    reports_dir: Path
    lang: str = "all"
    today: dt.date = field(default_factory=dt.date.today)
    width: int = WIDTH


@dataclass(frozen=True)
class Pages:
    """A brief's pages as PNGs, per language."""

    brief_id: str
    images: Mapping[str, tuple[bytes, ...]]  # by language
    inputs: tuple[Path, ...] = ()  # the facts and sources files the spec names


def render(where: Where) -> Pages:
    """Build the brief in memory and draw every page of every language asked for."""
    env = compose.template_env(where.templates_dir)
    prepared = pipeline.prepare(pipeline.resolve_spec(where.brief, where.data_dir))
    edition = pipeline.render_edition(prepared, pipeline.languages(prepared, where.lang), where.today, env,
                                      where.reports_dir)
    return Pages(prepared.spec.id, {lang: pages.page_pngs(r.pdf, where.width, origin=f"{r.path} (preview)")
                                    for lang, r in edition.languages.items()},
                 inputs=(Path(prepared.spec.facts_path), Path(prepared.spec.sources_path)))


def folder(reports_dir: Path, brief_id: str) -> Path:
    return reports_dir / output.safe_component(brief_id) / FOLDER


def write(drawn: Pages, reports_dir: Path) -> tuple[Path, ...]:
    """Write ``<lang>-<n>.png`` (n from 1) into the brief's preview folder; remove older pages not redrawn."""
    where = folder(reports_dir, drawn.brief_id)
    paths = {where / f"{lang}-{n}.png": png for lang, images in drawn.images.items()
             for n, png in enumerate(images, start=1)}
    try:
        where.mkdir(parents=True, exist_ok=True)
        for stale in set(where.glob("*.png")) - set(paths):
            stale.unlink()
    except OSError as exc:
        raise RenderError(Problem(str(where), f"cannot write the preview ({exc.strerror or exc})",
                                  expected="a writable reports folder")) from exc
    return tuple(output.write_atomic(png, path) for path, png in paths.items())


Stamp = dict[Path, tuple[int, int, int]]


class Preview:
    """The latest pages (or the latest error) of one brief, rebuilt when its files change."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.version = 0
        self.pages: Pages | None = None
        self.error = ""
        self._stamp: Stamp = {}
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        """Rebuild if a watched file changed since the last look (or on the first call); True if rebuilt."""
        stamp = _stamp(self._watched())
        if stamp == self._stamp and self.version:
            return False
        drawn: Pages | None
        try:
            drawn = render(self.where)
            write(drawn, self.where.reports_dir)
            error = ""
        except Exception as exc:  # shown in the page; the server keeps running and the last good pages stay
            if not isinstance(exc, BriefError):
                log.exception("preview: the build failed")
            drawn, error = self.pages, str(exc) if isinstance(exc, BriefError) else f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.pages, self.error, self._stamp = drawn, error, stamp
            self.version += 1
        return True

    def snapshot(self) -> tuple[int, Pages | None, str]:
        with self._lock:
            return self.version, self.pages, self.error

    def _watched(self) -> Iterator[Path]:
        """The brief's folder, the facts and sources it names, units.yaml and the templates, file by file."""
        w = self.where
        try:
            spec_path = pipeline.resolve_spec(w.brief, w.data_dir)
        except BriefError:
            spec_path = w.data_dir / w.brief / "brief.yaml"
        yield w.data_dir / spec.UNITS_NAME
        yield from self.pages.inputs if self.pages else ()  # they may live outside the brief's folder
        for root in (spec_path.parent, w.templates_dir):
            yield from (p for p in sorted(root.rglob("*")) if p.is_file()) if root.is_dir() else ()


def _stamp(paths: Iterator[Path]) -> Stamp:
    found: Stamp = {}
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        found[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return found


def server(preview: Preview, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``preview`` on 127.0.0.1 (``port`` 0: a free one; see ``server_address``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            version, drawn, error = preview.snapshot()
            path = self.path.split("?")[0]
            if path == "/":
                self._reply(200, "text/html; charset=utf-8", _page(version, drawn, error).encode("utf-8"))
            elif path == "/version":
                body = json.dumps({"version": version, "error": error}, ensure_ascii=False)
                self._reply(200, "application/json", body.encode("utf-8"))
            else:
                png = _image(drawn, path)
                if png is None:
                    self._reply(404, "text/plain; charset=utf-8", b"no such page\n")
                else:
                    self._reply(200, "image/png", png)

        def _reply(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("preview: " + format, *args)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def watch(preview: Preview, stop: threading.Event,
          wait: Callable[[float], object] | None = None, interval: float = POLL_SECONDS) -> None:
    """Refresh ``preview`` every ``interval`` until ``stop`` is set (``wait`` defaults to ``stop.wait``)."""
    pause = wait or stop.wait
    while not stop.is_set():
        pause(interval)
        if not stop.is_set():
            preview.refresh()


def _image(drawn: Pages | None, path: str) -> bytes | None:
    parts = path.strip("/").split("/")
    if drawn is None or len(parts) != 3 or parts[0] != "page" or not parts[2].removesuffix(".png").isdigit():
        return None
    images = drawn.images.get(parts[1], ())
    n = int(parts[2].removesuffix(".png"))
    return images[n - 1] if 1 <= n <= len(images) else None


_SCRIPT = """<script>
const shown = %d;
async function poll() {
  try {
    const reply = await fetch("/version", {cache: "no-store"});
    if ((await reply.json()).version !== shown) { location.reload(); return; }
  } catch (e) {}
  setTimeout(poll, 500);
}
setTimeout(poll, 500);
</script>"""


def _page(version: int, drawn: Pages | None, error: str) -> str:
    e = html.escape
    parts = [f'<pre style="white-space:pre-wrap;background:#fdecea;border:2px solid #b00020;padding:12px">'
             f"{e(error)}</pre>"] if error else []
    for lang, images in (drawn.images.items() if drawn else ()):
        parts.append(f"<h2>{e(lang)}</h2>")
        parts += [f'<img src="/page/{e(lang)}/{n}.png?v={version}" alt="{e(lang)} page {n}" '
                  'style="width:100%;max-width:900px;display:block;margin:0 auto 16px;box-shadow:0 1px 4px #999">'
                  for n in range(1, len(images) + 1)]
    title = e(drawn.brief_id if drawn else "preview")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} — briefgen preview</title></head>'
            f'<body style="font-family:sans-serif;background:#eee;margin:16px">{"".join(parts)}'
            f"{_SCRIPT % version}</body></html>\n")
