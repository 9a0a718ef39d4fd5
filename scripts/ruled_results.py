#!/usr/bin/env python3
"""Real freehand sketches drawn in pencil on ruled paper, through a shipped model as `cali-sketch infer` runs them: the page
scanned flat, photographed on a desk and photographed close up. The results behind results/ruled-paper-cpu.

    python scripts/ruled_results.py [--model small-full-finetuned] [--out results/ruled-paper-cpu]

Each sketch of tests/data/freehand is drawn at 0.6 (pencil) on a ruled page by `rules.on_ruled_paper` (rules at 0.45
every 9 px of its 256, a margin line: dense, dark rules, the hard case), photographed by `page.photograph` where it is
a photo, saved (PNG flat, JPEG photos, as a phone would) and read back through the pipeline. "rules traced" is
`rules=False` (what the pipeline did before `remove_rules`); "now" is the default. Distances are to the pencil drawing
without rules, photographed the same way: the Chamfer distance of S (both scaled to span 0.9 of the frame: the
strokes, whatever their size) and the mean absolute difference of P. Writes figure.png, metrics.json and metrics.md.
"""
import tempfile, warnings
from pathlib import Path
import numpy as np
import torch
from PIL import Image

import _freehand  # beside this script: the command line, model and results folder these scripts share
KINDS = ('flat', 'desk', 'close-up')

def main(argv=None):
    ap = _freehand.parser(__doc__, 'ruled-paper-cpu')
    ap.add_argument('--every', type=int, default=9, help='px from one rule to the next, at 256')
    ap.add_argument('--rule', type=float, default=0.45, help="the rules' ink (the pencil is 0.6)")
    a = ap.parse_args(argv)
    from cali_sketch.read import read_sketch
    from cali_sketch.page import photograph
    from cali_sketch.rules import on_ruled_paper
    from cali_sketch.normalize import normalize_sketch
    from cali_sketch.metrics import chamfer
    from cali_sketch.figures import show_grid
    pipe, paths = _freehand.load(a)
    tmp, rows, per = Path(tempfile.mkdtemp()), [], []
    def save(ink, f):  # as a user's file: a PNG scan, or a phone's JPEG
        im = Image.fromarray(np.round((1 - np.clip(ink, 0, 1)) * 255).astype(np.uint8))
        im.save(f, **({'quality': 90} if f.suffix == '.jpg' else {})); return f
    for n, p in enumerate(paths):
        ink = read_sketch(p)[0].numpy()
        row = []
        for kind in KINDS:
            shot = (lambda x: x) if kind == 'flat' else (lambda x: photograph(x, n, close_up=kind == 'close-up')[0])
            ext = '.png' if kind == 'flat' else '.jpg'
            f = save(shot(on_ruled_paper(ink, a.every, a.rule)), tmp/f'{p.stem}_{kind}_ruled{ext}')
            g = save(shot(ink * 0.6), tmp/f'{p.stem}_{kind}_plain{ext}')
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # the not-a-sketch warning: what is measured here is S and P
                now, traced, plain = pipe(f), pipe(f, rules=False), pipe(g)
            fill = lambda x, **kw: normalize_sketch(read_sketch(x, min_lines=None)[0].numpy(), pipe.size, fill=0.9, **kw)
            ref = fill(g)
            per.append({'sketch': p.name, 'page': kind, 'notes': now.notes,
                        'chamfer S rules traced': float(chamfer(fill(f, rules=False), ref)), 'chamfer S now': float(chamfer(fill(f), ref)),
                        'P rules traced - P without rules': float((traced.P - plain.P).abs().mean()),
                        'P now - P without rules': float((now.P - plain.P).abs().mean())})
            row += [torch.from_numpy(read_sketch(f, min_lines=None)[0].numpy())[None], traced.P, now.P]
        rows.append(row + [plain.P])
    fig = show_grid(rows, [t for k in KINDS for t in (f'pencil, ruled ({k})', 'P, rules traced', 'P now')] + ['P, no rules (close-up)'], size=1.4,
                    suptitle=f"{a.model or 'the default'} ({pipe.size} px, CPU-trained): freehand sketches in pencil on ruled paper (simulated), as infer reads them")
    rng = _freehand.ranges(per, 'page', [k for k in per[0] if k not in ('sketch', 'page', 'notes')])
    _freehand.write(a.out, fig, {'model': a.model or 'default', 'size': pipe.size, 'every': a.every, 'rule': a.rule, 'per_page': per, 'range': rng},
                    rng, 'page')

if __name__ == '__main__': main()
