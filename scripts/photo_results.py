#!/usr/bin/env python3
"""Real freehand sketches photographed (simulated) through a shipped model, as `cali-sketch infer` runs them: the whole
page lying on a desk, and a close-up whose page runs off the picture. The results behind results/photographed-cpu.

    python scripts/photo_results.py [--model small-full-finetuned] [--out results/photographed-cpu]

Each sketch of tests/data/freehand is photographed by `page.photograph` (a tilted page in perspective on a wooden desk,
unevenly lit, noisy and blurred, at four times its size; with `close_up`, a margin round the drawing and the picture
cut so that the page runs off two sides), saved as a JPEG as a phone would, and read back through the pipeline.
"whole picture" is the picture traced as it is (`page=False`: what the pipeline did before `find_page`, and before
`find_paper` for close-ups); "now" is the pipeline's default. Distances are to the sketch's scan: the Chamfer distance of
S, both scaled to span 0.9 of the frame (the strokes, whatever their size), and the mean absolute difference of P.
Writes figure.png, metrics.json and metrics.md.
"""
import tempfile, warnings
from pathlib import Path
import numpy as np
import torch
from PIL import Image

import _freehand  # beside this script: the command line, model and results folder these scripts share

def main(argv=None):
    ap = _freehand.parser(__doc__, 'photographed-cpu')
    a = ap.parse_args(argv)
    from cali_sketch.read import read_sketch, NotASketchWarning
    from cali_sketch.page import photograph
    from cali_sketch.normalize import normalize_sketch, line_share
    from cali_sketch.metrics import chamfer
    from cali_sketch.figures import show_grid
    pipe, paths = _freehand.load(a)
    run = lambda S: pipe.synthesise(pipe.refine(torch.from_numpy(S)[None, None]))[0]
    tmp, rows, per = Path(tempfile.mkdtemp()), [], []
    for n, p in enumerate(paths):
        ink = read_sketch(p)[0].numpy()
        P0, F0 = run(normalize_sketch(ink, pipe.size)), normalize_sketch(ink, pipe.size, fill=0.9)
        row = []
        for kind, close_up in (('desk', False), ('close-up', True)):
            ph, _ = photograph(ink, n, close_up=close_up)
            f = tmp/f'{p.stem}_{kind}.jpg'; Image.fromarray(np.round((1 - ph) * 255).astype(np.uint8)).save(f, quality=90)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter('always'); res = pipe(f)  # as a user's photo runs
            ph = read_sketch(f, min_lines=None)[0].numpy()  # what the pipeline read: the JPEG, not the simulation
            Pb = run(normalize_sketch(ph, pipe.size, page=False))
            per.append({'sketch': p.name, 'photo': kind, 'size': list(ph.shape),
                        'chamfer S whole picture': float(chamfer(normalize_sketch(ph, pipe.size, fill=0.9, page=False), F0)),
                        'chamfer S now': float(chamfer(normalize_sketch(ph, pipe.size, fill=0.9), F0)),
                        'P whole picture - P of scan': float((Pb - P0).abs().mean()), 'P now - P of scan': float((res.P - P0).abs().mean()),
                        'line_share whole picture': line_share(ph, page=False), 'line_share now': line_share(ph),
                        'warned now': any(issubclass(x.category, NotASketchWarning) for x in w)})
            row += [torch.from_numpy(ph)[None], Pb, res.P]
        rows.append(row + [P0])
    fig = show_grid(rows, ['on a desk', 'P, whole picture', 'P now', 'close-up', 'P, whole picture', 'P now', 'P of the scan'], size=1.5,
                    suptitle=f"{a.model or 'the default'} ({pipe.size} px, CPU-trained): freehand sketches photographed (simulated), as infer reads them")
    rng = _freehand.ranges(per, 'photo', [k for k in per[0] if k not in ('sketch', 'photo', 'size', 'warned now')])
    warned = {kind: sum(r['warned now'] for r in per if r['photo'] == kind) for kind in rng}
    _freehand.write(a.out, fig, {'model': a.model or 'default', 'size': pipe.size, 'per_photo': per, 'range': rng, 'warned now': warned},
                    rng, 'photo', ('warned now', {kind: f'{n} of {len(paths)}' for kind, n in warned.items()}))

if __name__ == '__main__': main()
