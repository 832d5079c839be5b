"""``ganzoo report RUN --out report.html``: one self-contained HTML page about a training run.

The page holds the recipe (config.yaml), the sample grids over time, loss, learning-rate and
FID curves (inline SVG, drawn here: no plotting library), an interpolation strip between
seeds, the latest ``eval.json`` table and the export records whose source is this run.
Every image is embedded as a data: URI, so the file can be mailed or archived alone.
"""

import base64
import glob
import html
import json
import os
import tempfile

import numpy as np

from ganzoo import images, latent, runs
from ganzoo.checkpointing import checkpoints

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
MAX_GRIDS = 8
STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.grids { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
figure { margin: 0; } figcaption { font-size: 0.85em; color: #555; text-align: center; }
img { width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 10px; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
"""


def png_uri(path_or_bytes):
    """A data: URI of a PNG file (path) or of PNG bytes."""
    data = path_or_bytes
    if isinstance(path_or_bytes, str):
        with open(path_or_bytes, "rb") as f:
            data = f.read()
    return "data:image/png;base64," + base64.b64encode(data).decode()


def svg_chart(series, title, width=520, height=220):
    """An inline SVG line chart.

    Args:
        series: {name: [(x, y), ...]}; names become the legend, empty series are skipped.
        title: str, drawn above the plot.
        width, height: int, the chart's size in pixels (default 520 x 220).
    """
    series = {name: points for name, points in series.items() if points}
    if not series:
        return ""
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for points in series.values() for _, y in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 0.1 * abs(y0) or 1.0  # a constant series: a band around it
    x1, (y0, y1) = (x1 if x1 > x0 else x0 + 1), ((y0, y1) if y1 > y0 else (y0 - pad, y1 + pad))
    left, top, right, bottom = 60, 24, width - 10, height - 30

    def at(x, y):
        return (f"{left + (x - x0) / (x1 - x0) * (right - left):.1f},"
                f"{bottom - (y - y0) / (y1 - y0) * (bottom - top):.1f}")

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="{left}" y="15" font-size="13" font-weight="bold">'
             f'{html.escape(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
             'fill="none" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end">{y1:.3g}</text>',
             f'<text x="{left - 4}" y="{bottom}" font-size="10" text-anchor="end">{y0:.3g}</text>',
             f'<text x="{left}" y="{bottom + 14}" font-size="10">{x0:g}</text>',
             f'<text x="{right}" y="{bottom + 14}" font-size="10" text-anchor="end">'
             f'step {x1:g}</text>']
    for i, (name, points) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" '
                     f'points="{" ".join(at(x, y) for x, y in points)}"/>')
        parts.append(f'<text x="{left + 8 + 110 * i}" y="{bottom + 26}" font-size="11" '
                     f'fill="{color}">{html.escape(name)}</text>')
    return "".join(parts) + "</svg>"


def read_stats(run_dir):
    """The records of ``run_dir/stats.jsonl`` (the last one per step, as a resume may repeat
    steps), oldest first."""
    path = os.path.join(run_dir, "stats.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        by_step = {record["step"]: record for record in map(json.loads, filter(None, f))}
    return [by_step[step] for step in sorted(by_step)]


def read_fid(run_dir):
    """[(step, fid)] that training logged (``train.fid_every``) under ``run_dir/logs/fid``."""
    import tensorflow as tf

    found = {}
    for path in glob.glob(os.path.join(run_dir, "logs", "fid", "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag == "fid":
                    found[event.step] = float(tf.make_ndarray(value.tensor))
    return sorted(found.items())


def interpolation_strip(run_dir, seeds=(1, 2, 3), steps=8):
    """PNG bytes of a slerp strip between ``seeds``, or None for a model without latents."""
    from ganzoo.presets import load_generator

    generator = load_generator(run_dir)
    if getattr(generator, "latent_dim", None) is None:
        return None
    latents = [latent.seed_latent(seed, generator.latent_dim) for seed in seeds]
    outputs = latent.generate(generator, latent.path(latents, steps), 0 if generator.num_classes
                              else None)
    if outputs.ndim != 4:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        path = images.save_samples(outputs, os.path.join(scratch, "strip.png"),
                                   columns=len(outputs))
        with open(path, "rb") as f:
            return f.read()


def export_records(run_dir, exports_dir):
    """[(model name, version, record)] of every export under ``exports_dir`` made from
    ``run_dir``."""
    source = os.path.abspath(run_dir)
    found = []
    for marker in sorted(glob.glob(os.path.join(exports_dir, "*", "ganzoo_export.json"))):
        with open(marker) as f:
            versions = json.load(f).get("versions", {})
        for version, record in sorted(versions.items(), key=lambda item: int(item[0])):
            if os.path.abspath(str(record.get("source", ""))) == source:
                found.append((os.path.basename(os.path.dirname(marker)), version, record))
    return found


def _table(rows):
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                    for row in rows)
    return f"<table>{cells}</table>"


def _section(title, body):
    return f"<h2>{html.escape(title)}</h2>{body}" if body else ""


def build_report(run_dir, exports_dir="exports"):
    """The report page of ``run_dir`` as an HTML string.

    Args:
        run_dir: str, a training run directory.
        exports_dir: str, where ``ganzoo export`` wrote (default "exports"); the records
            whose source is this run are listed.
    """
    config, info = runs.read_run(run_dir)
    saved = checkpoints(run_dir)
    step = saved[-1][0] if saved else 0
    name = os.path.basename(os.path.normpath(run_dir))
    grids = sorted(glob.glob(os.path.join(run_dir, "samples", "step_*.png")))
    picks = sorted({grids[i] for i in np.linspace(0, len(grids) - 1, MAX_GRIDS).astype(int)}
                   ) if grids else []
    figures = "".join(
        f'<figure><img src="{png_uri(path)}" alt="samples"><figcaption>step '
        f'{int(os.path.basename(path)[5:11])}</figcaption></figure>' for path in picks)
    stats = read_stats(run_dir)
    loss_names = [k for k in (stats[-1] if stats else {})
                  if k not in ("step", "time", "g_lr", "d_lr", "images_per_second")]
    charts = svg_chart({k: [(r["step"], r[k]) for r in stats if r.get(k) is not None]
                        for k in loss_names}, "losses")
    charts += svg_chart({k: [(r["step"], r[k]) for r in stats] for k in ("g_lr", "d_lr")
                         if stats and k in stats[-1]}, "learning rates")
    charts += svg_chart({"fid": read_fid(run_dir)}, "FID during training")
    strip = interpolation_strip(run_dir) if saved else None
    eval_path = os.path.join(run_dir, "eval.json")
    evaluation = ""
    if os.path.isfile(eval_path):
        with open(eval_path) as f:
            record = json.load(f)
        evaluation = (f"<p>{html.escape(str(record.get('n_generated')))} generated vs "
                      f"{html.escape(str(record.get('n_real')))} real, "
                      f"{html.escape(str(record.get('extractor')))} features</p>"
                      + _table(sorted(record.get("metrics", {}).items())))
    exports = _table([(model, version, ", ".join(record.get("formats", [])),
                       record.get("created", "")) for model, version, record
                      in export_records(run_dir, exports_dir)])
    summary = (f"{config.family} on {info.name} {'x'.join(map(str, info.shape))}, step {step} "
               f"of {config.train.steps}, batch {config.data.batch_size}")
    body = "".join([
        f"<h1>{html.escape(name)}</h1><p>{html.escape(summary)}</p>",
        _section("Sample grids over time", figures and f'<div class="grids">{figures}</div>'),
        _section("Curves", charts),
        _section("Interpolation (seeds 1, 2, 3; slerp)",
                 strip and f'<img src="{png_uri(strip)}" alt="interpolation">'),
        _section("Latest evaluation (eval.json)", evaluation),
        _section("Exports", exports if "<td>" in exports else ""),
        _section("Recipe (config.yaml)", f"<pre>{html.escape(config.to_yaml())}</pre>"),
    ])
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>ganzoo report: '
            f"{html.escape(name)}</title><style>{STYLE}</style></head><body>{body}</body></html>")


def write_report(run_dir, out, exports_dir="exports"):
    """Writes ``build_report(run_dir, exports_dir)`` to ``out`` and returns ``out``."""
    page = build_report(run_dir, exports_dir)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    return out
