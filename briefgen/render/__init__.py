"""A Brief → PDF bytes and page images (ReportLab layout, fonts, line breaking, charts, previews)."""

from briefgen.base.lazyimports import load_on_first_use

load_on_first_use("PIL.Image")  # before any ReportLab import: it imports PIL's Image for bitmaps a brief never has
