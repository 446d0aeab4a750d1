"""Set-up caches: ``run.py cache`` makes them; a build reads them, writes nothing, and gets the same result."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jinja2
import pytest
from conftest import DATA, TEMPLATES
from hardening import run

from briefgen.base import caches, codecache, units
from briefgen.base.errors import RenderError
from briefgen.compose import compose
from briefgen.render import fonts

SAMPLE = "xAI は 10万台の H100 GPU を 4倍に — 60億ドル, 1.3 million gallons/day"


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*"))}


def test_the_cache_command_makes_every_cache_and_a_build_only_reads_them(tmp_path: Path) -> None:
    project = ("--data", str(DATA), "--templates", str(TEMPLATES), "--state", str(tmp_path / "var"))
    made = run(*project, "cache")
    assert made.code == 0, made.err
    made_paths = {Path(line).resolve() for line in made.out.splitlines()}  # relative to here when under it
    assert codecache.PATH.resolve() in made_paths and codecache.PATH.stat().st_size > 0  # the package's own, beside its .pyc
    folders = {path.name for path in made_paths - {codecache.PATH.resolve()}}
    assert folders == {"fonts", units.PINT_CACHE, units.KNOWN_CACHE, compose.JINJA_CACHE}
    assert all(any((tmp_path / "var" / "cache" / name).iterdir()) for name in folders)

    before = _listing(tmp_path / "var" / "cache")
    built = run(*project, "--reports", str(tmp_path / "reports"), "--date", "2024-07-29", "build", "xai-colossus")
    assert built.code == 0, built.err
    assert _listing(tmp_path / "var" / "cache") == before


def test_set_up_replaces_what_an_earlier_set_up_left(tmp_path: Path) -> None:
    project = ("--data", str(DATA), "--templates", str(TEMPLATES), "--state", str(tmp_path / "var"))
    cache = tmp_path / "var" / "cache"
    stale = [cache / fonts.FONT_CACHE / f"{'0' * 32}.bin",  # a font file, ReportLab or format since gone
             cache / compose.JINJA_CACHE / "__jinja2_removed-template.cache",
             cache / "jinja-2.11.3-limited" / "__jinja2_any.cache"]  # another Jinja's bytecode
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"stale")
    made = run(*project, "cache")
    assert made.code == 0, made.err
    assert [path for path in stale if path.exists()] == []
    assert not (cache / "jinja-2.11.3-limited").exists()
    fonts_kept = sorted((cache / fonts.FONT_CACHE).glob("*.bin"))
    compiled = sorted((cache / compose.JINJA_CACHE).iterdir())
    assert len(fonts_kept) >= 3 and len(compiled) == len(list(TEMPLATES.rglob("*.md")))
    again = run(*project, "cache")  # a second set-up keeps what is current
    assert again.code == 0, again.err
    assert sorted((cache / fonts.FONT_CACHE).glob("*.bin")) == fonts_kept
    assert sorted((cache / compose.JINJA_CACHE).iterdir()) == compiled


def _counting_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    compiled: list[str] = []
    real = jinja2.sandbox.SandboxedEnvironment.compile

    def compile_(self: jinja2.Environment, source: str, name: str | None = None, *args: object,
                 **kwargs: object) -> object:
        compiled.append(str(name))
        return real(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.sandbox.SandboxedEnvironment, "compile", compile_)
    return compiled


def _env_reading(folder: Path | None, templates: Path) -> jinja2.Environment:
    cache = compose._CompiledTemplates()
    cache.read_from(folder)
    return compose.environment(jinja2.FileSystemLoader(str(templates)), cache)


def test_templates_come_compiled_from_the_cache_and_an_edited_one_is_recompiled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    folder = compose.write_cache(templates, tmp_path / "cache")
    compiled = _counting_compiles(monkeypatch)

    _env_reading(folder, templates)
    assert compiled == []

    edited = templates / "xai-colossus" / "en.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nEdited after set-up.\n", encoding="utf-8")
    env = _env_reading(folder, templates)
    assert compiled == ["xai-colossus/en.md"]
    assert env.get_template("xai-colossus/en.md") is not None

    _env_reading(None, templates)  # no cache: everything compiles, as before set-up
    assert len(compiled) == 1 + len(list(templates.rglob("*.md")))


def test_the_cached_font_is_the_parsed_font(tmp_path: Path) -> None:
    path = fonts._primary_file()
    fonts.write_cache(tmp_path)
    cached = fonts._thawed(caches.read(fonts.FONT_CACHE, fonts._cache_key(path), tmp_path))
    parsed = fonts._parsed(path)
    assert cached is not None
    assert {k: getattr(cached.face, k) for k in vars(parsed.face) if k != "_pdfScale"} == \
        {k: v for k, v in vars(parsed.face).items() if k != "_pdfScale"}
    assert cached.face._pdfScale(1234) == parsed.face._pdfScale(1234)
    assert cached.stringWidth(SAMPLE, 10) == parsed.stringWidth(SAMPLE, 10)
    glyphs = sorted({ord(c) for c in SAMPLE})
    assert cached.face.makeSubset(glyphs) == parsed.face.makeSubset(glyphs)


def test_a_thawed_face_reads_what_only_embedding_needs_when_first_asked(tmp_path: Path) -> None:
    path = fonts._primary_file()
    fonts.write_cache(tmp_path)
    parsed = fonts._parsed(path).face
    cached = fonts._thawed(caches.read(fonts.FONT_CACHE, fonts._cache_key(path), tmp_path))
    assert cached is not None
    assert set(fonts._LAZY[0]).isdisjoint(vars(cached.face))  # not built by coverage and widths
    assert cached.face.charToGlyph == parsed.charToGlyph and cached.stringWidth(SAMPLE, 10) > 0
    assert set(fonts._LAZY[0]).isdisjoint(vars(cached.face))
    assert cached.face.hmetrics == parsed.hmetrics  # the group comes in at once
    assert {k: vars(cached.face)[k] for k in fonts._LAZY[0]} == {k: vars(parsed)[k] for k in fonts._LAZY[0]}
    assert "glyphToChar" not in vars(cached.face)  # only HarfBuzz shaping reads it
    assert cached.face.glyphToChar == parsed.glyphToChar
    assert "_ttf_data" not in vars(cached.face)  # the file's bytes are read from the file, when embedding
    assert cached.face._ttf_data == parsed._ttf_data == path.read_bytes()


def test_a_font_file_changed_after_its_face_was_thawed_is_refused_when_embedding(tmp_path: Path) -> None:
    font = tmp_path / "ipaexg.ttf"
    shutil.copyfile(fonts._primary_file(), font)
    caches.write(fonts.FONT_CACHE, fonts._cache_key(font), fonts._frozen(fonts._parsed(font)), tmp_path)
    cached = fonts._thawed(caches.read(fonts.FONT_CACHE, fonts._cache_key(font), tmp_path))
    assert cached is not None
    with font.open("ab") as handle:
        handle.write(b"\0" * 4)
    with pytest.raises(RenderError, match="changed while the brief was being built"):
        cached.face.makeSubset(sorted({ord(c) for c in SAMPLE}))


def test_a_damaged_group_of_a_thawed_face_is_parsed_from_the_font_file(tmp_path: Path) -> None:
    path = fonts._primary_file()
    fonts.write_cache(tmp_path)
    cached = fonts._thawed(caches.read(fonts.FONT_CACHE, fonts._cache_key(path), tmp_path))
    assert cached is not None
    vars(cached.face)["_briefgen_lazy"][0] = b"not a pickle"
    glyphs = sorted({ord(c) for c in SAMPLE})
    assert cached.face.makeSubset(glyphs) == fonts._parsed(path).face.makeSubset(glyphs)


def test_a_damaged_or_stale_font_cache_is_not_used(tmp_path: Path) -> None:
    font = tmp_path / "ipaexg.ttf"
    shutil.copyfile(fonts._primary_file(), font)
    key = fonts._cache_key(font)
    caches.write(fonts.FONT_CACHE, key, b"not a pickle", tmp_path)
    assert fonts._thawed(caches.read(fonts.FONT_CACHE, key, tmp_path)) is None
    os.utime(font, ns=(1_000_000_000, 1_000_000_000))
    assert fonts._cache_key(font) != key
    assert caches.read(fonts.FONT_CACHE, fonts._cache_key(font), tmp_path) is None


def test_pint_reads_its_definitions_from_the_cache(tmp_path: Path) -> None:
    folder, _ = units.write_cache(tmp_path)
    assert sorted(p.suffix for p in folder.iterdir()) != []
    ureg = units.new_registry(folder)
    water = ureg.Quantity(1, ureg.parse_units("gallon/day")).to(ureg.parse_units("m**3/day")).magnitude
    assert f"{water:.15g}" == "0.003785411784"


def test_set_up_caches_every_installed_fallback_face_as_parsed(tmp_path: Path) -> None:
    fonts.write_cache(tmp_path)
    files = fonts._fallback_files()
    assert {name for _, name in files} >= {"DejaVuSans", "DejaVuSans-Bold", "NotoSansSymbols2"}
    for path, name in files:
        cached = fonts._thawed(caches.read(fonts.FONT_CACHE, fonts._cache_key(path), tmp_path))
        assert cached is not None, name
        parsed = fonts._parsed(path, name)
        assert cached.fontName == parsed.fontName == name
        assert cached.face.charToGlyph == parsed.face.charToGlyph
        assert cached.face.charWidths == parsed.face.charWidths


def test_a_fallback_face_is_read_from_its_entry_and_parsed_when_the_entry_is_stale_or_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {name: path for path, name in fonts._fallback_files()}
    font = tmp_path / "DejaVuSans.ttf"
    shutil.copyfile(files["DejaVuSans"], font)
    monkeypatch.setattr(caches, "CACHE_DIR", tmp_path / "cache")
    parsed = fonts._parsed(font, "DejaVuSans").face.charToGlyph
    assert fonts._loaded(font, "DejaVuSans").face.charToGlyph == parsed  # no cache at all

    hebrew = fonts._parsed(files["NotoSansHebrew"], "NotoSansHebrew")
    caches.write(fonts.FONT_CACHE, fonts._cache_key(font), fonts._frozen(hebrew), tmp_path / "cache")
    assert fonts._loaded(font, "DejaVuSans").face.charToGlyph == hebrew.face.charToGlyph  # the entry is read

    os.utime(font, ns=(1_000_000_000, 1_000_000_000))  # the file changed: its entry is stale
    assert fonts._loaded(font, "DejaVuSans").face.charToGlyph == parsed
