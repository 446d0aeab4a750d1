"""A Brief → PDF bytes and page images (ReportLab layout, fonts, line breaking, charts, previews)."""
