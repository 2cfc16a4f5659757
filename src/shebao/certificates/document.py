"""The certificate PDF (社会保险费缴费证明), A4, laid out with reportlab's platypus.

Every glyph comes from the Noto Sans CJK SC subset shipped in `fonts/` (SIL OFL 1.1), embedded and
subset again per document, so the PDF prints the same on a machine without Chinese fonts. The canvas
starts in that font too, so no unembedded base-14 font is referenced.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shebao.certificates.content import Content
from shebao.certificates.seal import draw_seal
from shebao.kit.money import fen_to_yuan_text

FONT = "NotoSansSC"
FONT_FILE = Path(__file__).parent / "fonts" / "NotoSansSC-Certificate.ttf"
TITLE = "社会保险费缴费证明"
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#555555")


@cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=10, leading=15, textColor=INK, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, fontSize=9),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontSize=8, leading=10.5, alignment=TA_CENTER),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=13, textColor=RULE),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


class _Closing(Flowable):  # type: ignore[misc]
    """The QR code (opens the verification page prefilled), the issuing office and the seal over it."""

    def __init__(self, content: Content, width: float) -> None:
        super().__init__()
        self.content = content
        self.width = width
        self.height = 38 * mm

    def draw(self) -> None:
        canvas: Canvas = self.canv
        qr = segno.make(self.content.verify_url, error="m")
        size = 30 * mm
        matrix = list(qr.matrix_iter(scale=1, border=2))
        cell = size / len(matrix)
        top = self.height - 2 * mm
        canvas.setFillColor(colors.black)
        for row, line in enumerate(matrix):
            for col, dark in enumerate(line):
                if dark:
                    canvas.rect(col * cell, top - (row + 1) * cell, cell, cell, stroke=0, fill=1)
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(size / 2, top - size - 4 * mm, "扫码查验真伪")
        right = self.width
        canvas.setFillColor(INK)
        canvas.setFont(FONT, 10.5)
        canvas.drawRightString(right, top - 12 * mm, f"开具税务机关：{self.content.tax_office}")
        canvas.drawRightString(right, top - 19 * mm, f"开具日期：{_chinese_date(self.content.issued_on)}")
        draw_seal(canvas, right - 30 * mm, top - 16 * mm, 19 * mm, _seal_name(self.content.tax_office), FONT)


def _seal_name(office: str) -> str:
    """The seal carries the bureau (区税务局) rather than a 税务所 below it, as real seals do."""
    cut = office.find("税务局")
    return office[: cut + 3] if cut >= 0 else office


def _chinese_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{year}年{int(month)}月{int(day)}日"


def _page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.setFillColor(RULE)
    canvas.drawCentredString(
        A4[0] / 2, 10 * mm, f"证明编号 {doc.certificate_no}    第 {canvas.getPageNumber()} 页"
    )
    canvas.restoreState()


def render_pdf(content: Content) -> bytes:
    """The unsigned PDF; `signing.sign` adds the signature."""
    _register_font()
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{TITLE} {content.certificate_no}",
        author=content.tax_office,
        subject=TITLE,
        creator="shebao",
        initialFontName=FONT,
        initialFontSize=10,
        lang="zh-CN",
    )
    doc.certificate_no = content.certificate_no
    styles = _styles()
    width = doc.width
    story: list[Flowable] = [
        _p(TITLE, styles["title"]),
        Spacer(1, 2 * mm),
        _p(f"证明编号：{content.certificate_no}", styles["right"]),
        Spacer(1, 3 * mm),
        _header_table(content, styles, width),
        Spacer(1, 3 * mm),
        _p(
            f"兹证明上述缴费人在费款所属期 {content.period_from} 至 {content.period_to} 内"
            f"已缴纳的{content.scheme}如下：",
            styles["base"],
        ),
        Spacer(1, 2 * mm),
        _items_table(content, styles, width),
        Spacer(1, 4 * mm),
        _p(f"证明校验码：{content.verification_code}", styles["base"]),
        _p(
            "本证明的真伪可在京通“社保缴费证明 → 缴费证明查验”中，凭纳税人识别号和证明校验码查验，"
            "或扫描下方二维码查验。本证明经电子签章，打印件与电子件具有同等效力。",
            styles["note"],
        ),
        Spacer(1, 4 * mm),
        _Closing(content, width),
    ]
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def _header_table(content: Content, styles: dict[str, ParagraphStyle], width: float) -> Table:
    label = ParagraphStyle("label", parent=styles["base"], textColor=RULE)
    rows = [
        ["缴费人姓名", content.name, "纳税人识别号", content.taxpayer_id],
        ["证件类型", content.id_type, "险种", content.scheme],
        ["税务机关", content.tax_office, "", ""],
        ["费款所属期", f"{content.period_from} 至 {content.period_to}", "开具日期", content.issued_on],
    ]
    data = [[_p(a, label), _p(b, styles["base"]), _p(c, label), _p(d, styles["base"])] for a, b, c, d in rows]
    table = Table(data, colWidths=[0.15 * width, 0.35 * width, 0.17 * width, 0.33 * width])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("SPAN", (1, 2), (3, 2)),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f3f3")),
                ("BACKGROUND", (2, 0), (2, 1), colors.HexColor("#f3f3f3")),
                ("BACKGROUND", (2, 3), (2, 3), colors.HexColor("#f3f3f3")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _items_table(content: Content, styles: dict[str, ParagraphStyle], width: float) -> Table:
    head = ["序号", "险种/征收项目", "费款所属期", "缴费金额（元）", "缴款日期", "电子税票号码", "缴费渠道"]
    data: list[list[Paragraph]] = [[_p(h, styles["head"]) for h in head]]
    for index, item in enumerate(content.items, start=1):
        data.append(
            [
                _p(str(index), styles["head"]),
                _p(item.levy_item, styles["cell"]),
                _p(item.period, styles["cell"]),
                _p(fen_to_yuan_text(item.amount_fen), styles["cell_right"]),
                _p(item.paid_on, styles["cell"]),
                _p(item.eticket_no, styles["cell"]),
                _p(item.channel, styles["cell"]),
            ]
        )
    data.append(
        [
            _p("合计", styles["head"]),
            _p(f"人民币（大写）：{content.total_in_words}", styles["cell"]),
            _p("", styles["cell"]),
            _p(fen_to_yuan_text(content.total_fen), styles["cell_right"]),
            _p(f"（小写）¥{fen_to_yuan_text(content.total_fen)}", styles["cell"]),
            _p("", styles["cell"]),
            _p("", styles["cell"]),
        ]
    )
    fractions = [0.05, 0.22, 0.13, 0.12, 0.12, 0.21, 0.15]
    table = Table(data, colWidths=[f * width for f in fractions], repeatRows=1)
    last = len(data) - 1
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f3f3")),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("SPAN", (1, last), (2, last)),
                ("SPAN", (4, last), (6, last)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table
