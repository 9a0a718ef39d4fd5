#!/usr/bin/env python3
"""A face drawn small on its page, through a shipped model, before and after `normalize_sketch` enlarged drawings
smaller than the training sketches: the results behind results/small-drawing-cpu.

    python scripts/small_drawing_results.py [--model small-full-finetuned] [--out results/small-drawing-cpu]

Each real freehand sketch is put on a blank page 2x and 3x its size, off-centre (a face drawn in the middle of a
sheet, scanned or photographed whole), and run as `cali-sketch infer` runs it. "before" keeps the page's scale
(`enlarge=None`, what every version did until 2026-12-06), "now" is the default. The distance of each P from the P of
the sketch as drawn (on its own 256 px canvas, at the training sketches' size) says how far the page's blank margin
moved the result. Writes figure.png (the 2x page) and metrics.json / metrics.md.
"""
import numpy as np
import torch

import _freehand  # beside this script: the command line, model and results folder these scripts share

def on_page(ink:np.ndarray, k:int) -> np.ndarray:
    "`ink` (1 = stroke) drawn at 1/`k` of a blank page, off-centre."
    H, W = ink.shape; page = np.zeros((k * H, k * W), np.float32)
    page[H // 5:H // 5 + H, W // 2:W // 2 + W] = ink
    return page

def main(argv=None):
    a = _freehand.parser(__doc__, 'small-drawing-cpu').parse_args(argv)
    from cali_sketch.read import read_sketch
    from cali_sketch.normalize import normalize_sketch
    from cali_sketch.metrics import chamfer
    from cali_sketch.figures import show_grid
    pipe, paths = _freehand.load(a); name = a.model or 'the default'
    def run(S:np.ndarray):
        S = torch.from_numpy(S)[None, None]; R = pipe.refine(S); return S[0], R[0], pipe.synthesise(R)[0]
    box = lambda S: float(max(np.ptp(np.nonzero(S > 0.25)[0]), np.ptp(np.nonzero(S > 0.25)[1])) + 1) / S.shape[-1]
    rows, per = [], []
    for p in paths:
        ink = read_sketch(p)[0].numpy()
        S0, _, P0 = run(normalize_sketch(ink, pipe.size))
        for k in (2, 3):
            page = on_page(ink, k)
            Sb, _, Pb = run(normalize_sketch(page, pipe.size, enlarge=None))
            res = pipe(torch.from_numpy(page)[None], invert=False)  # as a user's file runs: the default normalisation
            Sn, Pn = res.S, res.P
            assert torch.equal(Sn, torch.from_numpy(normalize_sketch(page, pipe.size))[None])
            per.append({'sketch': p.name, 'page': f'{k}x', 'box S as drawn': box(S0[0].numpy()),
                        'box S before': box(Sb[0].numpy()), 'box S now': box(Sn[0].numpy()),
                        'chamfer S before': float(chamfer(Sb, S0)), 'chamfer S now': float(chamfer(Sn, S0)),
                        'P before - P as drawn': float((Pb - P0).abs().mean()), 'P now - P as drawn': float((Pn - P0).abs().mean())})
            if k == 2: rows.append([torch.from_numpy(page)[None], Sb, Pb, Sn, Pn, P0])
    fig = show_grid(rows, ['on a page 2x its size', 'S before', 'P before', 'S now (enlarged)', 'P now', 'P as drawn'], size=1.6,
                    suptitle=f"{name} ({pipe.size} px, CPU-trained): real freehand sketches drawn small on a page")
    rng = _freehand.ranges(per, 'page', [k for k in per[0] if k not in ('sketch', 'page')])
    _freehand.write(a.out, fig, {'model': name, 'size': pipe.size, 'per_sketch': per, 'range': rng}, rng, 'page')

if __name__ == '__main__': main()
