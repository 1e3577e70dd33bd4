"""Horizontal bar charts as inline SVG, drawn on the server.

No JavaScript and no style attributes: the chart is readable as an image
(label, bar, and the value written next to each bar) and to screen readers
(<title> and <desc>, the desc listing every value). Colour carries no
meaning of its own.
"""

from markupsafe import Markup, escape

WIDTH = 640
ROW = 26
BAR = 16
LABEL_CHARS = 30
CHAR_WIDTH = 7
BAR_COLOUR = "#1f5f99"
TEXT_COLOUR = "#1b1b1b"


def _short(label):
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(chart_id, title, description, rows, empty_text):
    """An SVG bar chart.

    `rows` are (label, value, text): `value` sets the bar's length (0 for a
    hidden small count), `text` is written next to the bar ("12", "<5",
    "37%"). `empty_text` is shown when there are no rows.
    """
    rows = list(rows)
    label_width = min(
        max((len(_short(label)) for label, _v, _t in rows), default=10) * CHAR_WIDTH
        + 12,
        LABEL_CHARS * CHAR_WIDTH + 12,
    )
    value_width = 60
    bar_space = WIDTH - label_width - value_width
    top = max((value for _l, value, _t in rows), default=0) or 1
    height = max(len(rows), 1) * ROW + 8
    summary = "; ".join(f"{label}: {text}" for label, _v, text in rows) or empty_text

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="100%" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)} {escape(summary)}</desc>',
    ]
    if not rows:
        parts.append(
            f'<text x="8" y="{ROW - 8}" fill="{TEXT_COLOUR}">'
            f"{escape(empty_text)}</text>"
        )
    for index, (label, value, text) in enumerate(rows):
        y = index * ROW + 4
        middle = y + BAR / 2 + 4
        length = round(bar_space * max(value, 0) / top, 1)
        parts.append(
            f'<text x="{label_width - 8}" y="{middle}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{escape(_short(label))}</text>'
        )
        if length > 0:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length}" height="{BAR}" '
                f'fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{middle}" '
            f'fill="{TEXT_COLOUR}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
