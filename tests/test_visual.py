"""Visual regression: the reference briefs' pages as low-resolution grey images against committed baselines.

Each page of both editions of both test briefs (xai-colossus, top500) is rendered with ``pdftoppm -gray
-r 40``, cut down to 16 grey levels (so a baseline is a 4-bit PNG of about 10 kB) and compared with
``tests/visual/<brief>.<lang>-<page>.png`` within a tolerance: the mean absolute difference of the grey values
(0–255) and the share of pixels that changed by more than a quarter of the range. A change in layout,
fonts, line breaks or colours fails; anti-aliasing noise does not. After a deliberate change of the
look, rewrite the baselines and review the images like code:

    BRIEFGEN_UPDATE_BASELINES=1 .venv/bin/python -m pytest -q tests/test_visual.py
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, TEMPLATES, pdf_text
from PIL import Image, ImageChops

from briefgen.cli import main
from briefgen.render import linebreak

BASELINES = Path(__file__).resolve().parent / "visual"
UPDATE = os.environ.get("BRIEFGEN_UPDATE_BASELINES") == "1"
RESOLUTION = "40"
MEAN_LIMIT = 1.5  # mean absolute difference in grey levels
CHANGED_LIMIT = 0.004  # share of pixels that changed by more than CHANGED_LEVEL
CHANGED_LEVEL = 64
#: brief → (data folder, templates folder) of the frozen test briefs.
BRIEFS = {"xai-colossus": (DATA, TEMPLATES),
          "top500": (FIXTURES / "top500" / "data", FIXTURES / "top500" / "templates")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``<brief>.<lang>`` → the PDF the CLI built."""
    root = tmp_path_factory.mktemp("visual")
    found: dict[str, Path] = {}
    for brief, (data, templates) in BRIEFS.items():
        code = main(["--data", str(data), "--templates", str(templates), "--reports", str(root / "reports"),
                     "--state", str(root / "state"), "--date", "2024-07-29", "build", brief, "--lang", "all"])
        assert code == 0
        found |= {f"{brief}.{lang}": root / "reports" / brief / f"2024-07-29.{lang}.pdf" for lang in ("ja", "en")}
    return found


@pytest.fixture(scope="module")
def pdfs(built: dict[str, Path]) -> dict[str, Path]:
    """language → the reference brief's PDF."""
    return {lang: built[f"xai-colossus.{lang}"] for lang in ("ja", "en")}


@pytest.fixture(scope="module")
def pages(built: dict[str, Path]) -> dict[str, Path]:
    """page name (``xai-colossus.ja-1``) → its image."""
    found: dict[str, Path] = {}
    for name, pdf in built.items():
        prefix = pdf.parent / name
        subprocess.run(["pdftoppm", "-gray", "-png", "-r", RESOLUTION, str(pdf), str(prefix)], check=True)
        found |= {f"{name}-{int(p.stem.rsplit('-', 1)[1])}": p for p in pdf.parent.glob(f"{name}-*.png")}
    return found


def test_the_reference_brief_reads_as_typeset(pdfs: dict[str, Path]) -> None:
    """What the README promises, read back from the PDFs the CLI built."""
    text = {lang: subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout for lang, pdf in pdfs.items()}
    assert "“Checking the article”" in text["en"] and "Elon Musk’s" in text["en"] and '"' not in text["en"]
    assert "✓ holds" in text["en"] and "▲ overstated" in text["en"] and "✗ contradicted" in text["en"]
    assert "（✓正しい）" in text["ja"] and "（▲誇張）" in text["ja"] and "（✗矛盾）" in text["ja"]
    lines = [line.strip() for page in text["ja"].split("\f") for line in page.splitlines() if line.strip()]
    starts = [line for line in lines if line[0] in linebreak.NO_START]
    assert not starts, starts
    squashed = {lang: "".join(pdf_text(pdf.read_bytes()).split()) for lang, pdf in pdfs.items()}
    assert "“数量は4倍に増加”(translation:“afourfoldincreaseinnumber”)" in squashed["en"]
    assert "2024-07-29編集部確認：見出しの数字は裏付けなし" in squashed["ja"] and "editor:" not in text["ja"]
    fonts = subprocess.run(["pdffonts", str(pdfs["ja"])], capture_output=True, text=True, check=True).stdout
    assert "migmix-1p-bold" in fonts and "NotoSans-Regular" in fonts and "IPAexGothic" in fonts


def posterized(path: Path) -> Image.Image:
    """The page in 16 grey levels (0, 17, …, 255), the form baselines are kept in."""
    with Image.open(path) as image:
        return image.convert("L").point(lambda v: (v + 8) // 17 * 17)


def save_baseline(image: Path, baseline: Path) -> None:
    posterized(image).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(baseline, optimize=True, bits=4)


def difference(image: Path, baseline: Path) -> tuple[float, float]:
    """(mean absolute difference, share of pixels changed by more than CHANGED_LEVEL)."""
    a, b = posterized(image), posterized(baseline)
    assert a.size == b.size, f"{image.name}: {a.size} against the baseline's {b.size}"
    diff = ImageChops.difference(a, b)
    histogram = diff.histogram()
    pixels = sum(histogram)
    mean = sum(level * count for level, count in enumerate(histogram)) / pixels
    return mean, sum(histogram[CHANGED_LEVEL + 1:]) / pixels


def test_reference_pages_match_the_baselines(pages: dict[str, Path]) -> None:
    if UPDATE:
        for old in BASELINES.glob("*.png"):
            old.unlink()
        BASELINES.mkdir(exist_ok=True)
        for name, image in pages.items():
            save_baseline(image, BASELINES / f"{name}.png")
    baselines = {p.stem: p for p in BASELINES.glob("*.png")}
    assert sorted(pages) == sorted(baselines), "pages added or lost: " \
        "BRIEFGEN_UPDATE_BASELINES=1 rewrites the baselines after a deliberate change"
    off = {name: difference(pages[name], baselines[name]) for name in sorted(pages)}
    bad = {name: f"mean {mean:.2f}, changed {changed:.2%}" for name, (mean, changed) in off.items()
           if mean > MEAN_LIMIT or changed > CHANGED_LIMIT}
    assert not bad, f"pages differ from tests/visual/ (BRIEFGEN_UPDATE_BASELINES=1 to accept): {bad}"


def test_a_changed_page_is_caught(pages: dict[str, Path], tmp_path: Path) -> None:
    """The comparison itself: a page with a few lines of text moved is out of tolerance."""
    with Image.open(pages["xai-colossus.ja-1"]) as image:
        moved = ImageChops.offset(image.convert("L"), 0, 3)
    moved.save(tmp_path / "moved.png")
    mean, changed = difference(tmp_path / "moved.png", pages["xai-colossus.ja-1"])
    assert mean > MEAN_LIMIT or changed > CHANGED_LIMIT
    assert difference(pages["xai-colossus.ja-1"], pages["xai-colossus.ja-1"]) == (0.0, 0.0)
