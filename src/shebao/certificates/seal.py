"""The visible seal (印章) drawn as vectors: a red ring, a star, the office's name along the arc."""

from __future__ import annotations

import math

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

RED = Color(0.85, 0.1, 0.1, alpha=0.85)


def draw_seal(canvas: Canvas, cx: float, cy: float, radius: float, office: str, font: str) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RED)
    canvas.setFillColor(RED)
    canvas.setLineWidth(radius * 0.05)
    canvas.circle(cx, cy, radius, stroke=1, fill=0)
    _star(canvas, cx, cy, radius * 0.28)
    _arc_text(canvas, cx, cy, radius * 0.74, office, font, size=radius * 0.2)
    label = "缴费证明专用章"
    size = radius * 0.16
    canvas.setFont(font, size)
    canvas.drawCentredString(cx, cy - radius * 0.55, label)
    canvas.restoreState()


def _star(canvas: Canvas, cx: float, cy: float, r: float) -> None:
    path = canvas.beginPath()
    for index in range(10):
        angle = math.pi / 2 + index * math.pi / 5
        length = r if index % 2 == 0 else r * 0.38
        x, y = cx + length * math.cos(angle), cy + length * math.sin(angle)
        if index == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _arc_text(canvas: Canvas, cx: float, cy: float, r: float, text: str, font: str, *, size: float) -> None:
    """Characters upright along the upper arc, left to right, spread over up to 215 degrees."""
    count = len(text)
    if count == 0:
        return
    span = min(215.0, 20.0 * count)
    step = span / max(count - 1, 1)
    start = 90 + span / 2
    canvas.setFont(font, min(size, 2 * math.pi * r * span / 360 / count * 1.05))
    for index, char in enumerate(text):
        angle = math.radians(start - index * step)
        canvas.saveState()
        canvas.translate(cx + r * math.cos(angle), cy + r * math.sin(angle))
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, -size * 0.35, char)
        canvas.restoreState()
