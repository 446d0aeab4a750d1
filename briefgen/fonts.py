"""Font files → registered ReportLab TrueType fonts (embedded subsets), with per-character fallbacks.

The primary face is IPAex Gothic (Japanese + Latin + Greek + Cyrillic). IPAex has no bold weight, so
its bold is the same file under a second name (``IPAexGothic-Bold``); ``render`` draws that name with a
synthetic stroke (see ``FAUX_BOLD``). Characters IPAex lacks (Arabic, Hebrew, Thai, symbols) are
wrapped in ``<font name=…>`` of the first installed fallback that has them. Only TrueType files are
used: ReportLab embeds them as subsets, unlike its built-in CID fonts, which are never embedded.

Registration is global ReportLab state, so it happens once, lazily, in cached functions.
"""

from __future__ import annotations

import copy
import html
import logging
import pickle
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator
from weakref import WeakKeyDictionary

import reportlab  # type: ignore[import-untyped]
from reportlab.lib.fonts import addMapping  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]

from briefgen import caches
from briefgen.errors import Problem, RenderError

log = logging.getLogger("briefgen")

PRIMARY = "IPAexGothic"
PRIMARY_BOLD = "IPAexGothic-Bold"
#: Font names that have no real bold file and must be emboldened when drawn.
FAUX_BOLD = frozenset({PRIMARY_BOLD})

_PRIMARY_FILE = "ipaexg.ttf"
_PRIMARY_PATHS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/local/share/fonts/ipaexg.ttf",
    "/Library/Fonts/ipaexg.ttf",
)
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts")

#: (name, regular file, bold file or "") in the order they are tried for a missing character.
_FALLBACKS = (
    ("NotoSansArabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    ("NotoSansHebrew", "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    ("NotoSansThai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    ("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("NotoSansSymbols", "NotoSansSymbols-Regular.ttf", "NotoSansSymbols-Bold.ttf"),
    ("NotoSansSymbols2", "NotoSansSymbols2-Regular.ttf", ""),
)

_TOKEN = re.compile(r"(<[^>]*>)|(&#?[0-9A-Za-z]+;)|(.)", re.S)
_ENTITY = re.compile(r"&#?[0-9A-Za-z]+;")


def find_font_file(filename: str, known: Iterable[str] = ()) -> Path | None:
    """The first existing path among ``known``, else the first ``filename`` under the usual font folders."""
    for candidate in known:
        if Path(candidate).is_file():
            return Path(candidate)
    for folder in _FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            found = sorted(root.rglob(filename))
            if found:
                return found[0]
    return None


def _register(name: str, path: Path) -> None:
    pdfmetrics.registerFont(TTFont(name, str(path)))


def _register_family(name: str, bold: str) -> None:
    for is_bold, is_italic in ((0, 0), (0, 1), (1, 0), (1, 1)):
        addMapping(name, is_bold, is_italic, bold if is_bold else name)


_BFCHAR = re.compile(r"^<([0-9A-F]{2})> <([0-9A-F]{5,6})>$", re.MULTILINE)


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap, with code points beyond U+FFFF written as UTF-16 surrogate pairs.

    ReportLab 5.1 writes them as plain hex (``<1F600>``), which no PDF reader maps back to text, so
    emoji or 𠮷 printed from a fallback font came back as garbage from copy, search and pdftotext.
    """
    def utf16(match: re.Match[str]) -> str:
        return f"<{match[1]}> <{chr(int(match[2], 16)).encode('utf-16-be').hex().upper()}>"

    return _BFCHAR.sub(utf16, _REPORTLAB_TO_UNICODE(fontname, subset))


_REPORTLAB_TO_UNICODE = ttfonts.makeToUnicodeCMap


@lru_cache(maxsize=None)
def primary() -> str:
    """Register IPAex Gothic (regular + its faux-bold alias) once; return the font name.

    Also installs the ToUnicode fix above (ReportLab looks the function up when it writes a font).
    """
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    path = _primary_file()
    font = _thawed(caches.read(FONT_CACHE, _cache_key(path)))
    if font is None:
        font = _parsed(path)
    pdfmetrics.registerFont(font)
    pdfmetrics.registerFont(_alias(font, PRIMARY_BOLD))
    _register_family(PRIMARY, PRIMARY_BOLD)
    return PRIMARY


def _primary_file() -> Path:
    path = find_font_file(_PRIMARY_FILE, _PRIMARY_PATHS)
    if path is None:
        raise RenderError(Problem(
            _PRIMARY_FILE, "the IPAex Gothic font is not installed",
            expected="run scripts/setup.sh (Debian package fonts-ipaexfont-gothic)"))
    return path


def _parsed(path: Path) -> TTFont:
    try:
        return TTFont(PRIMARY, str(path))
    except TTFError as exc:
        raise RenderError(Problem(str(path), f"unusable font file: {exc}",
                                  expected="IPAex Gothic TrueType (ipaexg.ttf)")) from exc


# --- the parsed primary font, cached at set-up time (see briefgen.caches) -------------------------

FONT_CACHE = "fonts"  # the folder of parsed fonts under var/cache/


def _cache_key(path: Path) -> str:
    """What a parsed font depends on: the file (path, size, time), ReportLab's and Python's versions."""
    stat = path.stat()
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}|reportlab {reportlab.Version}|python {sys.version_info[:2]}"


def _frozen(font: TTFont) -> bytes:
    """A freshly parsed ``TTFont`` as bytes: its tables, without the two members pickle cannot take
    (the per-document state, empty until a document uses the font, and the em-scaling lambda; the
    face is pickled on its own)."""
    return pickle.dumps(({**vars(font), "face": None, "state": None}, {**vars(font.face), "_pdfScale": None}),
                        protocol=pickle.HIGHEST_PROTOCOL)


def _thawed(data: bytes | None) -> TTFont | None:
    """The ``TTFont`` that ``_frozen`` saved, as ReportLab's constructor would have left it; None
    when there is none or it cannot be read (the caller parses the file)."""
    if data is None:
        return None
    try:
        font_state, face_state = pickle.loads(data)
        face = ttfonts.TTFontFace.__new__(ttfonts.TTFontFace)
        face.__dict__.update(face_state, _pdfScale=_em_scale(face_state["unitsPerEm"]))
    except Exception:  # a damaged entry: unpickling raises many types; parsing the file is the answer
        return None
    font = TTFont.__new__(TTFont)
    font.__dict__.update(font_state, face=face, state=WeakKeyDictionary())
    return font


def _em_scale(units_per_em: int) -> Callable[[float], float]:
    """ReportLab's font-unit → 1/1000 em scaling (``TTFontFile.extractInfo``)."""
    factor = 1000 / units_per_em
    return (lambda x: x) if units_per_em == 1000 else (lambda x: x * factor)


def write_cache(root: Path) -> Path:
    """Save IPAex parsed under ``root`` (set-up time; see ``briefgen.caches``)."""
    path = _primary_file()
    return caches.write(FONT_CACHE, _cache_key(path), _frozen(_parsed(path)), root).parent


def _alias(font: TTFont, name: str) -> TTFont:
    """``font`` under a second name, sharing its parsed face.

    ReportLab registers a name whose face is already registered as the first font object, so
    parsing the file a second time (about 0.1 s for IPAex) would only be thrown away.
    """
    alias = copy.copy(font)
    alias.fontName = name
    return alias


def _register_fallback(name: str, regular: str, bold: str) -> bool:
    path = find_font_file(regular)
    if path is None:
        return False
    try:
        _register(name, path)
        bold_path = find_font_file(bold) if bold else None
        if bold_path is not None:
            _register(f"{name}-Bold", bold_path)
    except TTFError as exc:
        log.debug("skipping fallback font %s: %s", path, exc)
        return False
    _register_family(name, f"{name}-Bold" if bold_path is not None else name)
    return True


@lru_cache(maxsize=None)
def fallbacks() -> tuple[str, ...]:
    """Register the installed fallback fonts once; return their names in the order they are tried."""
    return tuple(name for name, regular, bold in _FALLBACKS if _register_fallback(name, regular, bold))


@lru_cache(maxsize=None)
def _cmap(font: str) -> frozenset[int]:
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None:
        raise RenderError(Problem(font, "not a registered TrueType font", expected=f"e.g. {PRIMARY}"))
    return frozenset(face.charToGlyph)


#: Every white-space character (``str.isspace``; none lies above U+3000).
_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


@lru_cache(maxsize=None)
def _outside(font: str) -> re.Pattern[str]:
    """A pattern matching any character ``font`` has no glyph for, white space aside."""
    ranges: list[tuple[int, int]] = []
    for code in sorted(_cmap(font) | {ord(c) for c in _SPACES}):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    inside = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" if b > a else re.escape(chr(a)) for a, b in ranges)
    return re.compile(f"[^{inside}]")


def covers(text: str, font: str) -> bool:
    """Whether ``font`` has every character of ``text`` but white space (one scan, for long texts)."""
    return _outside(font).search(text) is None


def coverage(text: str, font: str) -> frozenset[str]:
    """The characters of ``text`` that ``font`` has no glyph for (white space never counts)."""
    cmap = _cmap(font)
    return frozenset(c for c in text if not c.isspace() and ord(c) not in cmap)


def _font_covering(text: str) -> str | None:
    """The first installed fallback that has every character of ``text``."""
    return next((name for name in fallbacks() if not coverage(text, name)), None)


def unprintable(text: str, font: str) -> frozenset[str]:
    """The characters of ``text`` that neither ``font`` nor any installed fallback has."""
    return frozenset(c for c in coverage(text, font) if _font_covering(c) is None)


def describe(chars: Iterable[str]) -> str:
    """``U+00E9 é, U+20BB7 𠮷``: characters named for a message, in code point order."""
    return ", ".join(f"U+{ord(c):04X} {c}" for c in sorted(chars))


def _warn_missing(missing: set[str]) -> None:
    if missing:
        log.warning("no installed font has a glyph for %s; it prints as a blank box", describe(missing))


def _units(markup: str) -> Iterator[tuple[str, str | None]]:
    """(source text, character it shows) for each tag, entity or character; tags show nothing."""
    for match in _TOKEN.finditer(markup):
        tag, entity, char = match.groups()
        if tag is not None:
            yield tag, None
        elif entity is not None:
            yield entity, html.unescape(entity)
        else:
            yield char, char


def with_fallbacks(markup: str, font: str) -> str:
    """Wrap runs of characters ``font`` lacks in ``<font name=…>`` of a fallback that has them.

    Logs one warning naming the characters no installed font has.
    """
    if _covers_all(markup, font):
        return markup
    out: list[str] = []
    run: list[str] = []
    run_font: str | None = None
    missing: set[str] = set()

    def flush() -> None:
        if run:
            text = "".join(run)
            out.append(f'<font name="{run_font}">{text}</font>' if run_font else text)
            run.clear()

    for source, shown in _units(markup):
        lacking = coverage(shown, font) if shown is not None else frozenset()
        target = _font_covering(shown) if lacking and shown is not None else None
        if lacking and target is None:
            missing |= lacking
        if shown is None or target != run_font:
            flush()
            run_font = target
        (out if shown is None else run).append(source)
    flush()
    _warn_missing(missing)
    return "".join(out)


def _covers_all(markup: str, font: str) -> bool:
    """True when ``font`` has every character ``markup`` has or its entities stand for (a superset of
    what it shows), so ``with_fallbacks`` would wrap nothing: the common case, decided in one pass."""
    decoded = "".join(html.unescape(entity) for entity in _ENTITY.findall(markup))
    return not coverage(markup, font) and not coverage(decoded, font)


def font_for(text: str, font: str) -> str:
    """``font`` if it has every glyph of ``text``, else the first fallback that does (else ``font``, logged)."""
    lacking = coverage(text, font)
    if not lacking:
        return font
    found = _font_covering(text)
    if found is None:
        _warn_missing(set(unprintable(text, font)) or set(lacking))
    return found or font
