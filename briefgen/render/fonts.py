"""Font files → registered ReportLab TrueType families (embedded subsets), with per-character faces.

Two core families, each with real bold faces (nothing is faked by stroking):
- Japanese (``PRIMARY``): IPAex Gothic, bold MigMix 1P Bold (IPA Gothic kanji with M+ kana, drawn
  bold; IPAex has no bold weight). Japanese has no italic: italic maps to the upright faces.
- Latin (``LATIN``): Noto Sans regular, bold, italic and bold italic. The English edition is set in
  it, and so are Latin runs (letters, digits, Latin punctuation) inside Japanese text.

``split_frags`` gives each character of a parsed paragraph the face that has it and keeps the run's
bold/italic: Latin inside Japanese → Noto Sans, Japanese inside English → IPAex/MigMix, and what
neither has (Arabic, Hebrew, Thai, symbols) → the first installed fallback family that has it. Only
TrueType files are used: ReportLab embeds them as subsets (it refuses CFF-based OpenType).

Registration is global ReportLab state, so it happens once, lazily, in cached functions.
"""

from __future__ import annotations

import logging
import pickle
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence
from weakref import WeakKeyDictionary

import reportlab  # type: ignore[import-untyped]
from reportlab.lib.fonts import addMapping, ps2tt, tt2ps  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics, ttfonts  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFError, TTFont  # type: ignore[import-untyped]

from briefgen.base import caches
from briefgen.base.errors import Problem, RenderError

log = logging.getLogger("briefgen")

PRIMARY = "IPAexGothic"
PRIMARY_BOLD = "MigMix1P-Bold"
LATIN = "NotoSans"

_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts")
_NOTO = "/usr/share/fonts/truetype/noto/"
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"


@dataclass(frozen=True)
class _Face:
    """One font file of a core family: its ReportLab name, file name, the usual paths, its package."""

    name: str
    filename: str
    known: tuple[str, ...]
    package: str


_IPAEX = _Face(PRIMARY, "ipaexg.ttf", (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/local/share/fonts/ipaexg.ttf",
    "/Library/Fonts/ipaexg.ttf",
), "fonts-ipaexfont-gothic")
_MIGMIX_BOLD = _Face(PRIMARY_BOLD, "migmix-1p-bold.ttf", ("/usr/share/fonts/truetype/migmix/migmix-1p-bold.ttf",),
                     "fonts-migmix")


def _noto(suffix: str, style: str) -> _Face:
    return _Face(f"{LATIN}{suffix}", f"NotoSans-{style}.ttf", (f"{_NOTO}NotoSans-{style}.ttf",), "fonts-noto-core")


#: family → faces for (regular, bold, italic, bold italic).
_CORE: dict[str, tuple[_Face, _Face, _Face, _Face]] = {
    PRIMARY: (_IPAEX, _MIGMIX_BOLD, _IPAEX, _MIGMIX_BOLD),
    LATIN: (_noto("", "Regular"), _noto("-Bold", "Bold"), _noto("-Italic", "Italic"),
            _noto("-BoldItalic", "BoldItalic")),
}

#: (name, regular file, bold file or "") in the order they are tried for a character no core face has.
_FALLBACKS = (
    ("NotoSansArabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    ("NotoSansHebrew", "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    ("NotoSansThai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    ("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSansSymbols", "NotoSansSymbols-Regular.ttf", "NotoSansSymbols-Bold.ttf"),
    ("NotoSansSymbols2", "NotoSansSymbols2-Regular.ttf", ""),
)

#: Characters set in the Latin face inside Japanese text: ASCII, Latin-1 and Latin Extended letters,
#: digits and punctuation, and the Western quotes and dashes (not the ellipsis or em dash, which
#: Japanese text sets full width).
_LATIN_CHARS = re.compile("[\u0021-\u007e\u00a0-\u024f\u2010-\u2013\u2018-\u201f\u2032\u2033]")


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


#: registered family names by their lower-case form (ReportLab's font mapping lower-cases them).
_FAMILIES: dict[str, str] = {}


def _register_family(name: str, faces: Sequence[str]) -> None:
    """Map ``name`` + bold/italic to ``faces`` (regular, bold, italic, bold italic).

    A face that serves two styles (IPAex is also the Japanese italic) reads back as the upright one:
    ReportLab keeps the last mapping of a face, so the upright styles go last."""
    _FAMILIES[name.lower()] = name
    _style_of.cache_clear()
    for (is_bold, is_italic), face in reversed(list(zip(((0, 0), (1, 0), (0, 1), (1, 1)), faces))):
        addMapping(name, is_bold, is_italic, face)


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
    """Register the Japanese family (IPAex Gothic, MigMix 1P Bold) once; return its name.

    Also installs the ToUnicode fix above (ReportLab looks the function up when it writes a font).
    """
    return _core(PRIMARY)


@lru_cache(maxsize=None)
def latin() -> str:
    """Register the Latin family (Noto Sans in four faces) once; return its name."""
    return _core(LATIN)


def family(lang: str) -> str:
    """The family an edition is set in: Noto Sans for English, IPAex Gothic for Japanese."""
    return latin() if lang == "en" else primary()


def bold(font: str) -> str:
    """The bold face of a registered family (``font`` itself when it has none)."""
    return str(tt2ps(font, 1, 0))


def _core(name: str) -> str:
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    faces = _CORE[name]
    for face in dict.fromkeys(faces):
        path = _file(face)
        if face.name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(_loaded(path, face.name))
    _register_family(name, [face.name for face in faces])
    return name


def _file(face: _Face) -> Path:
    path = find_font_file(face.filename, face.known)
    if path is None:
        raise RenderError(Problem(
            face.filename, f"the font {face.name} is not installed",
            expected=f"run scripts/setup.sh (Debian package {face.package})"))
    return path


def _primary_file() -> Path:
    return _file(_IPAEX)


def _parsed(path: Path, name: str = PRIMARY) -> TTFont:
    try:
        return TTFont(name, str(path))
    except TTFError as exc:
        raise RenderError(Problem(str(path), f"unusable font file: {exc}",
                                  expected=f"a TrueType font file for {name}")) from exc


# --- the parsed fonts, cached at set-up time (see briefgen.base.caches) --------------------------------

FONT_CACHE = "fonts"  # the folder of parsed fonts under var/cache/
FONT_CACHE_FORMAT = 3  # what ``_frozen`` writes: 2 since its members read only to embed a face are apart, 3
#                        since the font file's bytes are left out


def _cache_key(path: Path) -> str:
    """What a parsed font depends on: the file (path, size, time), ReportLab's and Python's versions, the
    entry's format."""
    stat = path.stat()
    return (f"{path}|{stat.st_size}|{stat.st_mtime_ns}|reportlab {reportlab.Version}|python {sys.version_info[:2]}"
            f"|entry {FONT_CACHE_FORMAT}")


#: Members of a face that only embedding it (ReportLab's ``makeSubset``: glyph offsets and metrics) or
#: HarfBuzz shaping (glyph → characters) read, in two groups a thawed face unpickles on first read, so
#: a face the brief never prints (a fallback searched past, an italic) never builds them. The font
#: file's bytes (``_ttf_data``, also read only to embed) are not cached: they are the file's.
_LAZY = (("glyphPos", "hmetrics"), ("glyphToChar",))


def _frozen(font: TTFont) -> bytes:
    """A freshly parsed ``TTFont`` as bytes: its tables, without the two members pickle cannot take
    (the per-document state, empty until a document uses the font, and the em-scaling lambda; the
    face is pickled on its own, its ``_LAZY`` groups each pickled apart, its file's bytes left out
    but for their length)."""
    face = {**vars(font.face), "_pdfScale": None}
    size = len(face.pop("_ttf_data"))
    lazy = tuple(pickle.dumps({name: face.pop(name) for name in group}, protocol=pickle.HIGHEST_PROTOCOL)
                 for group in _LAZY)
    return pickle.dumps(({**vars(font), "face": None, "state": None}, face, lazy, size),
                        protocol=pickle.HIGHEST_PROTOCOL)


class _ThawedFace(ttfonts.TTFontFace):  # type: ignore[misc]
    """A ``TTFontFace`` from the set-up cache: each ``_LAZY`` group is unpickled when one of its
    members is first read (parsed from the font file if that pickle is damaged), the file's bytes
    are read when first asked for."""

    def __getattr__(self, name: str) -> Any:
        if name == "_ttf_data":
            self.__dict__[name] = self._file_bytes()
            return self.__dict__[name]
        for index, group in enumerate(_LAZY):
            if name in group:
                self.__dict__.update(self._members(index))
                return self.__dict__[name]
        raise AttributeError(name)

    def _members(self, index: int) -> dict[str, Any]:
        frozen: dict[int, bytes] = self.__dict__["_briefgen_lazy"]
        try:
            return dict(pickle.loads(frozen.pop(index)))
        except Exception:  # damaged: unpickling raises many types; the file has them
            parsed = ttfonts.TTFontFace(self.filename)
            return {member: getattr(parsed, member) for member in _LAZY[index]}

    def _file_bytes(self) -> bytes:
        data = Path(self.filename).read_bytes()
        if len(data) != self.__dict__["_briefgen_size"]:
            raise RenderError(Problem(self.filename, "the font file changed while the brief was being built",
                                      expected="the same file throughout a build: build again"))
        return data


def _thawed(data: bytes | None) -> TTFont | None:
    """The ``TTFont`` that ``_frozen`` saved, as ReportLab's constructor would have left it; None
    when there is none or it cannot be read (the caller parses the file)."""
    if data is None:
        return None
    try:
        font_state, face_state, lazy, size = pickle.loads(data)
        face = _ThawedFace.__new__(_ThawedFace)
        face.__dict__.update(face_state, _pdfScale=_em_scale(face_state["unitsPerEm"]),
                             _briefgen_lazy=dict(enumerate(lazy)), _briefgen_size=size)
    except Exception:  # a damaged entry: unpickling raises many types; parsing the file is the answer
        return None
    font = TTFont.__new__(TTFont)
    font.__dict__.update(font_state, face=face, state=WeakKeyDictionary())
    return font


def _loaded(path: Path, name: str) -> TTFont:
    """The font file at ``path`` as ``TTFont`` ``name``: thawed from the set-up cache, else parsed."""
    font = _thawed(caches.read(FONT_CACHE, _cache_key(path)))
    return font if font is not None else _parsed(path, name)


def _em_scale(units_per_em: int) -> Callable[[float], float]:
    """ReportLab's font-unit → 1/1000 em scaling (``TTFontFile.extractInfo``)."""
    factor = 1000 / units_per_em
    return (lambda x: x) if units_per_em == 1000 else (lambda x: x * factor)


def write_cache(root: Path) -> Path:
    """Save every core face and every installed fallback face parsed under ``root`` (set-up time; see
    ``briefgen.base.caches``), and remove the entries of faces or formats no longer current. A
    fallback file that does not parse is left out, as at run time."""
    written = []
    for face in dict.fromkeys(face for faces in _CORE.values() for face in faces):
        path = _file(face)
        written.append(caches.write(FONT_CACHE, _cache_key(path), _frozen(_parsed(path, face.name)), root))
    for path, name in _fallback_files():
        try:
            font = _parsed(path, name)
        except RenderError:
            continue  # unusable: the build skips it too
        written.append(caches.write(FONT_CACHE, _cache_key(path), _frozen(font), root))
    caches.prune(FONT_CACHE, written, root)
    return root / FONT_CACHE


# --- fallbacks and coverage -----------------------------------------------------------------------


def _fallback_file(filename: str) -> Path | None:
    """A fallback font file: where Debian's packages put it, else the first found under the font folders."""
    return find_font_file(filename, (f"{_NOTO}{filename}", f"{_DEJAVU}{filename}"))


def _fallback_files() -> list[tuple[Path, str]]:
    """(path, face name) of every installed fallback face, regular and bold."""
    found = ((_fallback_file(filename), f"{name}{suffix}") for name, regular, heavy in _FALLBACKS
             for filename, suffix in ((regular, ""), (heavy, "-Bold")) if filename)
    return [(path, face) for path, face in found if path is not None]


@lru_cache(maxsize=None)
def _fallback(name: str, regular: str, bold_file: str) -> bool:
    """Register fallback family ``name`` (regular and bold faces) once; False when it is not installed
    or its file is unusable."""
    path = _fallback_file(regular)
    if path is None:
        return False
    try:
        pdfmetrics.registerFont(_loaded(path, name))
        bold_path = _fallback_file(bold_file) if bold_file else None
        if bold_path is not None:
            pdfmetrics.registerFont(_loaded(bold_path, f"{name}-Bold"))
    except RenderError as exc:
        log.debug("skipping fallback font %s: %s", path, exc)
        return False
    heavy = f"{name}-Bold" if bold_path is not None else name
    _register_family(name, (name, heavy, name, heavy))
    return True


def fallbacks() -> Iterator[str]:
    """The installed fallback families in the order they are tried, each registered when first reached
    (a character found in the first ones never pays for reading the others)."""
    return (name for name, regular, heavy in _FALLBACKS if _fallback(name, regular, heavy))


@lru_cache(maxsize=None)
def _cmap(font: str) -> frozenset[int]:
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if face is None:
        raise RenderError(Problem(font, "not a registered TrueType font", expected=f"e.g. {PRIMARY}"))
    return frozenset(face.charToGlyph)


#: Every white-space character (``str.isspace``), spelt out rather than found by testing the first
#: 12,289 code points on every start (a test checks it against all of Unicode).
_SPACES = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


@lru_cache(maxsize=None)
def _printable(font: str) -> frozenset[str]:
    """The characters ``font`` has a glyph for, and white space."""
    return frozenset(map(chr, _cmap(font))) | _SPACES


def covers(text: str, font: str) -> bool:
    """Whether ``font`` has every character of ``text`` but white space (one scan, for long texts)."""
    return _printable(font).issuperset(text)


def coverage(text: str, font: str) -> frozenset[str]:
    """The characters of ``text`` that ``font`` has no glyph for (white space never counts)."""
    cmap = _cmap(font)
    return frozenset(c for c in text if not c.isspace() and ord(c) not in cmap)


def _others(font: str) -> Iterator[str]:
    """The families tried, in order, for a character ``font`` lacks: the other core family, then the
    fallbacks (each registered when the search reaches it)."""
    yield latin() if font == primary() else primary()
    yield from (name for name in fallbacks() if name != font)


def _font_covering(text: str, font: str = PRIMARY) -> str | None:
    """The first family after ``font`` that has every character of ``text``."""
    return next((name for name in _others(font) if not coverage(text, name)), None)


def unprintable(text: str, font: str) -> frozenset[str]:
    """The characters of ``text`` that neither ``font`` nor any installed font has."""
    return frozenset(c for c in coverage(text, font) if _font_covering(c, font) is None)


def describe(chars: Iterable[str]) -> str:
    """``U+00E9 é, U+20BB7 𠮷``: characters named for a message, in code point order."""
    return ", ".join(f"U+{ord(c):04X} {c}" for c in sorted(chars))


def _warn_missing(missing: set[str]) -> None:
    if missing:
        log.warning("no installed font has a glyph for %s; it prints as a blank box", describe(missing))


def font_for(text: str, font: str) -> str:
    """``font`` if it has every glyph of ``text``, else the first other family that does (else ``font``, logged)."""
    lacking = coverage(text, font)
    if not lacking:
        return font
    found = _font_covering(text, font)
    if found is None:
        _warn_missing(set(unprintable(text, font)) or set(lacking))
    return found or font


# --- per-character faces inside a paragraph -------------------------------------------------------


@lru_cache(maxsize=None)
def _style_of(face: str) -> tuple[str, int, int]:
    """(family, bold, italic) of a face name; a face outside any family is its own family (remembered
    until a family is registered)."""
    try:
        found = ps2tt(face)
    except ValueError:
        return face, 0, 0
    return _FAMILIES.get(found[0], face), int(found[1]), int(found[2])


def _family_for(char: str, face: str, base: str) -> str | None:
    """The family ``char`` is set in within text of ``face`` (of family ``base``); None when no font has it."""
    if char.isspace():
        return base
    if base == PRIMARY and _LATIN_CHARS.match(char) and not coverage(char, latin()):
        return LATIN
    if not coverage(char, face):
        return base
    return _font_covering(char, base)


@lru_cache(maxsize=None)
def _face_for(char: str, face: str, is_bold: int, is_italic: int) -> str | None:
    """The face ``char`` is set in within text of ``face`` in that bold/italic; None when no font has it."""
    base = _style_of(face)[0]
    chosen = _family_for(char, face, base)
    if chosen is None:
        return None
    return face if chosen == base else str(tt2ps(chosen, is_bold, is_italic))


def _runs(text: str, face: str, missing: set[str], bold_italic: tuple[int, int] = (0, 0)) -> list[tuple[str, str]]:
    """``text`` of one face cut into (face, text) runs, each set in the face that has its glyphs, in
    the bold/italic of ``face`` or ``bold_italic`` (a Japanese face has no italic, its Latin runs do).

    White space stays in the run it is in, so a Latin phrase inside Japanese is one run. Text the face
    has whole (and, in Japanese, without Latin letters) is one run without looking at each character."""
    base, is_bold, is_italic = _style_of(face)
    if covers(text, face) and not (base == PRIMARY and _LATIN_CHARS.search(text)):
        return [(face, text)]
    is_bold, is_italic = is_bold | bold_italic[0], is_italic | bold_italic[1]
    runs: list[tuple[str, list[str]]] = []
    for char in text:
        target = _face_for(char, face, is_bold, is_italic)
        if target is None:
            missing.add(char)
            target = face
        if runs and (char.isspace() or runs[-1][0] == target):
            runs[-1][1].append(char)
        else:
            runs.append((target, [char]))
    return [(target, "".join(chars)) for target, chars in runs]


def _truetype(face: str) -> bool:
    return hasattr(pdfmetrics.getFont(face), "face")


def split_frags(frags: list[Any]) -> list[Any]:
    """Parsed paragraph fragments → the same text with every character in a face that has it.

    Logs one warning naming the characters no installed font has (they print as blank boxes)."""
    out: list[Any] = []
    missing: set[str] = set()
    for frag in frags:
        text = getattr(frag, "text", "")
        if not text or hasattr(frag, "cbDefn") or not _truetype(frag.fontName):
            out.append(frag)
            continue
        runs = _runs(text, frag.fontName, missing, (int(getattr(frag, "bold", 0)), int(getattr(frag, "italic", 0))))
        if len(runs) == 1:
            out.append(frag if runs[0][0] == frag.fontName else frag.clone(fontName=runs[0][0]))
        else:
            out.extend(frag.clone(text=part, fontName=face) for face, part in runs)
    _warn_missing(missing)
    return out


def runs(text: str, face: str) -> list[tuple[str, str]]:
    """Plain ``text`` (a chart label, a footer) → (face, text) runs set the way ``split_frags`` sets a
    paragraph: Latin in Noto Sans inside Japanese, Japanese in IPAex inside English. Logs the characters
    no installed font has."""
    missing: set[str] = set()
    found = _runs(text, face, missing)
    _warn_missing(missing)
    return found


def width(text: str, face: str, size: float) -> float:
    """The width in points of plain ``text`` set in ``face`` the way ``split_frags`` sets it."""
    return sum(float(pdfmetrics.stringWidth(part, run_face, size)) for run_face, part in _runs(text, face, set()))
