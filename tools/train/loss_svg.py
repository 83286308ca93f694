"""Draw the training and validation loss curves from the training CSV as a standalone SVG."""

import csv

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 30, 50
COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd']


def write_loss_svg(csv_path, svg_path):
    with open(csv_path, newline='') as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f'{csv_path}: no loss rows to plot')
    series = [c for c in rows[0] if c.endswith('loss') or c.startswith('val_loss')]
    steps = [int(r['step']) for r in rows]
    values = [float(r[c]) for r in rows for c in series]
    x_max = max(steps)
    y_min, y_max = min(values), max(values)
    y_span = (y_max - y_min) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(step):
        return LEFT + plot_w * step / x_max

    def y_of(value):
        return TOP + plot_h * (1 - (value - y_min) / y_span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="18" text-anchor="middle">Cross-entropy loss (nats per token) by optimizer step</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="black"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="black"/>',
    ]
    for i in range(5):
        value = y_min + y_span * i / 4
        y = y_of(value)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.2f}</text>')
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        step = round(x_max * i / 4)
        parts.append(f'<text x="{x_of(step):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{step}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">step</text>')
    for index, column in enumerate(series):
        color = COLORS[index % len(COLORS)]
        points = ' '.join(f'{x_of(s):.1f},{y_of(float(r[column])):.1f}' for s, r in zip(steps, rows))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts.append(f'<text x="{LEFT + plot_w - 4}" y="{TOP + 16 + 16 * index}" text-anchor="end" fill="{color}">{column}</text>')
    parts.append('</svg>')
    with open(svg_path, 'w') as f:
        f.write('\n'.join(parts) + '\n')
