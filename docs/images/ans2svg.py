#!/usr/bin/env python3
"""Render a terminal capture with colour escapes (tmux capture-pane -p -e)
as an SVG: monospace text on a dark background, one <text> per styled run.

    python3 docs/images/ans2svg.py docs/images/drill-gate.ans > docs/images/drill-gate.svg

Only SGR sequences are understood (what capture-pane emits): reset, bold,
faint, italic, underline, reverse, 16/256/truecolour foreground and
background. Anything else is dropped. Standard library only.
"""

import html
import re
import sys

CELL_W, CELL_H, PAD = 8.4, 18, 14
FG, BG = (204, 204, 204), (24, 24, 28)
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
    (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
    (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER = re.compile(r"\x1b\[[0-9;:?]*[A-Za-ln-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    v = 8 + (n - 232) * 10
    return v, v, v


def apply(style, params):
    nums = [int(p) if p else 0 for p in params.replace(":", ";").split(";")] or [0]
    i = 0
    while i < len(nums):
        n = nums[i]
        if n == 0:
            style.clear()
        elif n in (1, 2, 3, 4, 7):
            style[{1: "bold", 2: "faint", 3: "italic", 4: "underline", 7: "reverse"}[n]] = True
        elif n == 22:
            style.pop("bold", None)
            style.pop("faint", None)
        elif n in (23, 24, 27):
            style.pop({23: "italic", 24: "underline", 27: "reverse"}[n], None)
        elif 30 <= n <= 37 or 90 <= n <= 97:
            style["fg"] = BASE16[n - 30 if n < 90 else n - 90 + 8]
        elif 40 <= n <= 47 or 100 <= n <= 107:
            style["bg"] = BASE16[n - 40 if n < 100 else n - 100 + 8]
        elif n == 39:
            style.pop("fg", None)
        elif n == 49:
            style.pop("bg", None)
        elif n in (38, 48) and i + 1 < len(nums):
            key = "fg" if n == 38 else "bg"
            if nums[i + 1] == 5 and i + 2 < len(nums):
                style[key] = xterm256(nums[i + 2])
                i += 2
            elif nums[i + 1] == 2 and i + 4 < len(nums):
                style[key] = tuple(nums[i + 2:i + 5])
                i += 4
        i += 1


def runs(line):
    """Yield (column, text, style) for each styled run of one line."""
    style, col, pos = {}, 0, 0
    line = OTHER.sub("", line)
    for m in list(SGR.finditer(line)) + [None]:
        end = m.start() if m else len(line)
        text = line[pos:end]
        if text:
            yield col, text, dict(style)
            col += len(text)
        if m:
            apply(style, m.group(1))
            pos = m.end()


def hexrgb(c):
    return "#%02x%02x%02x" % tuple(c)


def render(lines):
    cols = max([sum(len(t) for _, t, _ in runs(l)) for l in lines] + [1])
    width = round(cols * CELL_W + 2 * PAD)
    height = round(len(lines) * CELL_H + 2 * PAD)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="jpops terminal screen">',
        f'<rect width="100%" height="100%" rx="8" fill="{hexrgb(BG)}"/>',
        '<g font-family="ui-monospace, \'DejaVu Sans Mono\', Menlo, Consolas, monospace" '
        f'font-size="14" xml:space="preserve">',
    ]
    for row, line in enumerate(lines):
        y = PAD + row * CELL_H
        for col, text, st in runs(line):
            fg, bg = st.get("fg", FG), st.get("bg")
            if st.get("reverse"):
                fg, bg = bg or BG, fg
            x = PAD + col * CELL_W
            if bg:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{len(text) * CELL_W:.1f}" '
                           f'height="{CELL_H}" fill="{hexrgb(bg)}"/>')
            if not text.strip():
                continue
            attrs = [f'x="{x:.1f}"', f'y="{y + CELL_H - 5}"', f'fill="{hexrgb(fg)}"',
                     f'textLength="{len(text) * CELL_W:.1f}"', 'lengthAdjust="spacingAndGlyphs"']
            if st.get("bold"):
                attrs.append('font-weight="bold"')
            if st.get("faint"):
                attrs.append('opacity="0.6"')
            if st.get("italic"):
                attrs.append('font-style="italic"')
            if st.get("underline"):
                attrs.append('text-decoration="underline"')
            out.append(f'<text {" ".join(attrs)}>{html.escape(text, quote=False)}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ans2svg.py CAPTURE.ans > SCREEN.svg")
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().rstrip("\n").split("\n")
    # Empty rows between the content and the key help only make the picture
    # taller: keep one of each run of them.
    kept, blank = [], False
    for line in lines:
        empty = not OTHER.sub("", SGR.sub("", line)).strip()
        if not (empty and blank):
            kept.append(line)
        blank = empty
    lines = kept
    sys.stdout.write(render(lines))


if __name__ == "__main__":
    main()
