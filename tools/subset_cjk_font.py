"""Build the certificate font: Noto Sans CJK SC (SIL OFL 1.1) cut down to what a certificate prints.

Run at development time (needs fontTools and Debian's fonts-noto-cjk); the result is committed as
src/shebao/certificates/fonts/NotoSansSC-Certificate.ttf. The character set is ASCII, every GB 2312
character (hanzi of both levels, punctuation, full-width forms), a few signs (¥, ·, dashes, quotes),
plus every character of the packaged reference data (tax office and agency names). The CFF outlines
are converted to TrueType (quadratic) outlines, since PDF libraries embed and subset TrueType fonts best.

    python tools/subset_cjk_font.py [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = ROOT / "src/shebao/certificates/fonts/NotoSansSC-Certificate.ttf"
FAMILY = "Noto Sans CJK SC"
MAX_ERROR = 1.0  # font units (of 1000): the quadratic outline stays within this of the cubic one


def gb2312() -> set[str]:
    chars: set[str] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def reference_text() -> set[str]:
    chars: set[str] = set()
    for path in (ROOT / "src/shebao/reference/data").glob("*.json"):
        chars |= set(json.dumps(json.loads(path.read_text("utf-8")), ensure_ascii=False))
    return chars


def pick_face(source: Path) -> TTFont:
    for font in TTCollection(str(source)).fonts:
        if font["name"].getDebugName(1) == FAMILY:
            return font
    raise SystemExit(f"{FAMILY} not found in {source}")


def cff_to_glyf(font: TTFont) -> None:
    """Replace CFF outlines by TrueType ones (the fontTools otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones maxTwilightPoints maxStorage maxFunctionDefs maxInstructionDefs maxStackElements "
        "maxSizeOfInstructions maxComponentElements maxPoints maxContours maxCompositePoints "
        "maxCompositeContours maxComponentDepth"
    ).split():
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font["post"].glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    chars = {chr(c) for c in range(0x20, 0x7F)} | gb2312() | reference_text() | set("¥￥·—–…“”‘’→←√×")
    font = pick_face(source)
    options = subset.Options()
    options.layout_features = []  # horizontal Chinese text needs no shaping
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    cff_to_glyf(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"{TARGET.relative_to(ROOT)}: {len(chars)} characters, {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
