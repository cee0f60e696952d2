#!/usr/bin/env python3
"""Draw the benchmark results as an SVG chart: per program, the median wall time of toyjit's
interpreter, toyjit's JIT, python3 and pypy3 as horizontal bars on a logarithmic time axis.

Used by `run --svg FILE`; also on its own, from a `run --json` report:
    bench/chart.py RESULTS.json CHART.svg

Standard library only; writes the one file it is given and nothing else.
"""
import json
import math
import sys
from xml.sax.saxutils import escape

# (key in the runner's results, label in the legend, colour)
SERIES = [
    ("interp", "toyjit --no-jit", "#9e9e9e"),
    ("jit", "toyjit (JIT)", "#d62728"),
    ("python3", "python3", "#1f77b4"),
    ("pypy3", "pypy3", "#2ca02c"),
]

BAR_HEIGHT = 11
GROUP_GAP = 14
LEFT = 110  # room for the program names
RIGHT = 70  # room for the last bar's label
TOP = 64  # title and legend
BOTTOM = 40  # the time axis
PLOT_WIDTH = 620


def medians(results):
    """{series key: median seconds} for the commands that ran correctly."""
    return {key: r["median_s"] for key, r in results.items() if r.get("status") == "ok" and r.get("median_s")}


def axis_range(times):
    """Powers of ten around every time shown (at least one decade)."""
    low = math.floor(math.log10(min(times)))
    high = math.ceil(math.log10(max(times)))
    return low, max(high, low + 1)


def svg_chart(names, all_results, subtitle):
    """The chart's SVG text for `names` (in order) and the runner's per-program results."""
    rows = {name: medians(all_results[name]) for name in names}
    times = [t for row in rows.values() for t in row.values()]
    if not times:
        times = [1.0]
    low, high = axis_range(times)
    series = [s for s in SERIES if any(s[0] in row for row in rows.values())]
    group_height = len(series) * BAR_HEIGHT + GROUP_GAP
    plot_height = len(names) * group_height
    width, height = LEFT + PLOT_WIDTH + RIGHT, TOP + plot_height + BOTTOM

    def x_of(seconds):
        return LEFT + PLOT_WIDTH * (math.log10(seconds) - low) / (high - low)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">'
        "toyjit: median wall time per program (log scale, shorter is faster)</text>",
        f'<text x="{LEFT}" y="34" fill="#555">{escape(subtitle)}</text>',
    ]
    legend_x = LEFT
    for _, label, colour in series:
        out.append(f'<rect x="{legend_x}" y="44" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{legend_x + 14}" y="53">{escape(label)}</text>')
        legend_x += 24 + 7 * len(label)
    for power in range(low, high + 1):
        x = x_of(10.0 ** power)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_height}" stroke="#ddd"/>')
        label = f"{10.0 ** power:g} s"
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_height + 16}" text-anchor="middle">{label}</text>')
    for i, name in enumerate(names):
        y = TOP + i * group_height + GROUP_GAP / 2
        middle = y + len(series) * BAR_HEIGHT / 2 + 4
        out.append(f'<text x="{LEFT - 8}" y="{middle:.1f}" text-anchor="end" font-weight="bold">{escape(name)}</text>')
        for j, (key, label, colour) in enumerate(series):
            top = y + j * BAR_HEIGHT
            seconds = rows[name].get(key)
            if seconds is None:
                out.append(f'<text x="{LEFT + 4}" y="{top + 9:.1f}" fill="#999">{escape(label)}: -</text>')
                continue
            end = x_of(seconds)
            out.append(
                f'<rect x="{LEFT}" y="{top:.1f}" width="{max(end - LEFT, 1):.1f}" height="{BAR_HEIGHT - 2}" '
                f'fill="{colour}"><title>{escape(name)}, {escape(label)}: {seconds:.3f} s</title></rect>'
            )
            out.append(f'<text x="{end + 4:.1f}" y="{top + 8:.1f}" font-size="9">{seconds:.3f}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_svg(path, names, all_results, subtitle):
    with open(path, "w") as f:
        f.write(svg_chart(names, all_results, subtitle))


def main(argv):
    if len(argv) != 3:
        print("usage: chart.py RESULTS.json CHART.svg", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        report = json.load(f)
    names = list(report["programs"])
    results = {n: report["programs"][n]["results"] for n in names}
    subtitle = f"median of {report['runs']} run(s) each; {report['machine']['cpus']} CPUs"
    write_svg(argv[2], names, results, subtitle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
