#!/usr/bin/env python3
"""How much do the synthetic sketches look drawn? Fragmentation statistics of real freehand sketches, of the targets
and of the synthetic sketches S at several severities, with the sketch-synthesis and loader throughput beside them.

Statistics (cali_sketch.pen.sketch_stats, binary ink at 128 px): connected pieces per 100 px of stroke, % of ink
in specks (< 10 px), px of stroke per piece; medians over images, the real sketches' min..max as the range to hit.
Also the chamfer distance (px) of S to its target E_gt, which must grow with the severity, and the ink's extent: the
longer side of its bounding box as a share of the frame (`box`; what `normalize_sketch` enlarges a drawing to when it
is smaller than the training sketches). Throughput: samples per CPU
second (time.process_time, one thread) of the synthesis alone and of PreparedFaces.__getitem__ (read + targets + S);
goal >= 150 samples/s per core at 128 px. The ratio printed is against that goal.

    python bench/sketch_realism.py [--data data/celeba_val128] [--n 50] [--freehand tests/data/freehand]

Without --data (or when the folder is missing) it prepares 48 synthetic faces in a temporary folder (HED weights
needed, as for `cali-sketch demo`).
"""
import argparse, sys, time, tempfile
from pathlib import Path
import numpy as np
import torch

TARGET = 150.0
ROOT = Path(__file__).resolve().parents[1]

def med(rows, k): return float(np.median([r[k] for r in rows]))

def box(ink, threshold:float=0.25) -> float:
    "The longer side of the bounding box of the ink (> `threshold`) as a share of the picture's longer side (nan: no ink)."
    a = np.asarray(ink, np.float32); a = a[0] if a.ndim == 3 else a
    ys, xs = np.nonzero(a > threshold)
    return float(max(np.ptp(ys), np.ptp(xs)) + 1) / max(a.shape) if len(ys) else float('nan')

def stats(ink) -> dict:
    "`sketch_stats` of `ink`, and its `box`."
    from cali_sketch.pen import sketch_stats
    return {**sketch_stats(ink), 'box': box(ink)}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', default=str(ROOT/'data'/'celeba_val128'), help='a prepared folder (default data/celeba_val128)')
    ap.add_argument('--n', type=int, default=50, help='faces to measure (default 50)')
    ap.add_argument('--freehand', default=str(ROOT/'tests'/'data'/'freehand'), help='folder of real freehand sketches')
    ap.add_argument('--severities', type=float, nargs='+', default=[0.25, 0.5, 0.75])
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    from PIL import Image
    from cali_sketch.humanlike import HumanConfig
    from cali_sketch.corrupt import CorruptConfig
    from cali_sketch.data import PreparedFaces
    from cali_sketch.demodata import demo_data
    from cali_sketch.metrics import chamfer
    data = Path(a.data)
    if not (data/'prepared.json').is_file():
        print(f"(no prepared folder at {data}: preparing 48 synthetic faces instead)")
        data = demo_data(Path(tempfile.mkdtemp())/'demo', n=48, size=128)
    real = [stats(1 - np.asarray(Image.open(p).convert('L'), np.float32) / 255) for p in sorted(Path(a.freehand).glob('*.png'))]
    if not real: raise SystemExit(f"--freehand {a.freehand}: no PNG sketches")
    keys = ('pieces/100px', 'specks %', 'px/piece')
    lo = {k: min(r[k] for r in real) for k in keys}; hi = {k: max(r[k] for r in real) for k in keys}
    rows = [('real freehand sketches (%d)' % len(real), real, None, None)]
    def measure(name, ds):
        n = min(a.n, len(ds)); ds.set_epoch(0)
        ds[0]  # warm up
        t0 = time.process_time(); items = [ds[i] for i in range(n)]; dt = time.process_time() - t0
        st = [stats(d['sketch'][0].numpy()) for d in items]
        ch = float(np.median([chamfer(d['sketch'], d['gt']) for d in items]))
        rows.append((name, st, ch, n / dt))
    for tgt, style in (('raw', None), ('strokes', None)):
        ds = PreparedFaces(data, corrupt=False, target=tgt)
        n = min(a.n, len(ds))
        rows.append((f"E_gt ({'HED | Canny maps' if tgt == 'raw' else 'clean strokes'})", [stats(ds[i]['gt'][0].numpy()) for i in range(n)], None, None))
    for sev in a.severities:
        measure(f"S human-like (default), severity {sev:g}", PreparedFaces(data, corrupt=HumanConfig(severity=sev)))
    for sev in a.severities:
        measure(f"S edges (chapter 03), severity {sev:g}", PreparedFaces(data, corrupt=CorruptConfig(severity=sev), target='raw'))
    print(f"data: {data} ({min(a.n, len(PreparedFaces(data, corrupt=False)))} faces), 128 px, one thread\n")
    w = max(len(r[0]) for r in rows)
    print(f"{'':{w}}  {'pieces/100px':>12}  {'specks %':>8}  {'px/piece':>8}  {'box 1%|5%|50%':>15}  {'chamfer to E_gt':>15}  {'samples/s/core':>14}")
    for name, st, ch, rate in rows:
        cells = [f"{med(st, k):12.2f}" if k == 'pieces/100px' else f"{med(st, k):8.2f}" for k in keys]
        cells.append('|'.join(f"{v:.2f}" for v in np.nanpercentile([r['box'] for r in st], [1, 5, 50])).rjust(15))
        inside = all(lo[k] <= med(st, k) <= hi[k] for k in keys)
        flag = '' if name.startswith('real') else ('  inside the real range' if inside else '  OUTSIDE the real range')
        print(f"{name:{w}}  {'  '.join(cells)}  {'' if ch is None else f'{ch:15.2f}':>15}  {'' if rate is None else f'{rate:8.0f} ({rate / TARGET:.1f}x)':>14}{flag}")
    bx = [r['box'] for r in real]
    print(f"{'real range (min..max)':{w}}  " + '  '.join(f"{lo[k]:.2f}..{hi[k]:.2f}".rjust(12 if k == 'pieces/100px' else 8) for k in keys)
          + f"  {f'{min(bx):.2f}..{max(bx):.2f}':>15}")
    print(f"\nloader goal: {TARGET:.0f} samples/s per core (ratio in brackets)")

if __name__ == '__main__': main()
