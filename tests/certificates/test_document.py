"""The certificate PDF itself: embedded fonts, a PAdES signature that validates and breaks on one byte,
a QR code that opens the verification page prefilled, and the PNG view."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from shebao.certificates.signing import dev_root, outside_event_loop
from tests.support.certificates import certificate, pdffonts_rows, request
from tests.support.payments import paid_by_alipay


def _ready(client, world):  # type: ignore[no-untyped-def]
    paid_by_alipay(client, world.zhang_headers)
    made = request(client, world.zhang_headers).json()
    found = certificate(client, world.zhang_headers, made["id"])
    pdf = client.get(found["pdf_url"], headers=world.zhang_headers).content
    return found, pdf


def _validate(runtime, pdf: bytes):  # type: ignore[no-untyped-def]
    reader = PdfFileReader(BytesIO(pdf))
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[dev_root(runtime.settings)], allow_fetching=False)
    return outside_event_loop(lambda: validate_pdf_signature(signature, context))


def test_every_font_is_embedded(client, world, routed) -> None:  # type: ignore[no-untyped-def]
    _, pdf = _ready(client, world)
    rows = pdffonts_rows(pdf)
    assert rows, "the PDF uses fonts"
    # name, type, encoding, emb, sub, uni, object, generation
    assert [(row[0].split("+")[-1], row[-5], row[-4]) for row in rows] == [
        ("NotoSansCJKsc-Regular", "yes", "yes")
    ] * len(rows)


def test_the_signature_validates_and_breaks_when_one_byte_changes(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    _, pdf = _ready(client, world)
    status = _validate(runtime, pdf)
    assert (status.intact, status.valid, status.trusted, status.coverage.name) == (
        True,
        True,
        True,
        "ENTIRE_FILE",
    )
    assert "社会保险费缴费证明签章" in status.signing_cert.subject.human_friendly
    # One byte inside the signed range (the certificate's page content) changes: no longer intact.
    position = pdf.index(b"/Title (") + len(b"/Title (")
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    assert len(tampered) == len(pdf) and tampered != pdf
    broken = _validate(runtime, tampered)
    # The document digest no longer matches what was signed.
    assert (broken.intact, broken.bottom_line) == (False, False)


def test_the_qr_code_opens_the_verification_page_prefilled(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found, pdf = _ready(client, world)
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=3).to_pil()
    finally:
        document.close()
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    url = urlsplit(barcode.text)
    assert f"{url.scheme}://{url.netloc}{url.path}" == runtime.settings.base_url.rstrip("/") + "/verify"
    assert parse_qs(url.query) == {
        "taxpayer_id": ["110101199003071823"],
        "code": [found["verification_code"]],
    }


def test_the_png_view_is_the_pdf_rendered(client, world, runtime, routed) -> None:  # type: ignore[no-untyped-def]
    found, _ = _ready(client, world)
    answer = client.get(found["image_url"], headers=world.zhang_headers)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    image = Image.open(BytesIO(answer.content))
    assert (image.format, image.size) == ("PNG", (893, 1263))  # A4 at 108 dpi
    [barcode] = zxingcpp.read_barcodes(image)
    assert found["verification_code"] in barcode.text
