"""The PNG view of a certificate (查看: a phone long-presses an image to save it), rendered from the PDF."""

from __future__ import annotations

from io import BytesIO

import pypdfium2 as pdfium
from PIL import Image

SCALE = 1.5  # 72 dpi points → 108 dpi: A4 is 893 × 1263 px, sharp on a phone, light to send


def render_png(pdf: bytes) -> bytes:
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [
            document[index].render(scale=SCALE).to_pil().convert("RGB") for index in range(len(document))
        ]
    finally:
        document.close()
    width = max(page.width for page in pages)
    sheet = Image.new("RGB", (width, sum(page.height for page in pages)), "white")
    top = 0
    for page in pages:
        sheet.paste(page, (0, top))
        top += page.height
    out = BytesIO()
    sheet.save(out, format="PNG", compress_level=6)
    return out.getvalue()
