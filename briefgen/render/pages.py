"""PDF bytes → page images as PNG bytes (PDFium through pypdfium2): the email's page 1, ``preview``'s pages.

Pure: bytes in, bytes out, no files. PDFium renders in-process (no external program, nothing beyond
the pinned wheel), and the same PDF renders to the same pixels. ``colors`` quantizes the image to a
palette: a page of text and flat panels loses nothing visible at 64 colours and shrinks to about a
third, which keeps an email's inline picture small.
"""

from __future__ import annotations

import io
from typing import Iterator

from briefgen.base.errors import Problem, RenderError

#: The email's page-1 picture: 800 pixels wide (an email column shows it at 600), 64 colours.
EMAIL_WIDTH = 800
EMAIL_COLORS = 64


def page_pngs(pdf: bytes, width: int, *, first: int | None = None, colors: int | None = None,
              origin: str = "the PDF") -> tuple[bytes, ...]:
    """Pages of ``pdf`` (all, or the ``first`` few) as PNGs ``width`` pixels wide."""
    return tuple(_pngs(pdf, width, first, colors, origin))


def first_page_png(pdf: bytes, width: int = EMAIL_WIDTH, colors: int | None = EMAIL_COLORS) -> bytes:
    """Page 1 of ``pdf`` as a PNG (by default the email's size and palette)."""
    return page_pngs(pdf, width, first=1, colors=colors)[0]


def _pngs(pdf: bytes, width: int, first: int | None, colors: int | None, origin: str) -> Iterator[bytes]:
    import pypdfium2
    from PIL import Image

    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        raise RenderError(Problem(origin, f"cannot read the PDF to draw its pages ({exc})",
                                  expected="a PDF briefgen rendered")) from exc
    try:
        for index in range(min(len(document), first or len(document))):
            page = document[index]
            image = page.render(scale=width / page.get_width()).to_pil()
            if colors:
                image = image.convert("P", palette=Image.Palette.ADAPTIVE, colors=colors)
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=6 if colors else 1)  # a palette compresses fast
            yield buffer.getvalue()
    finally:
        document.close()
