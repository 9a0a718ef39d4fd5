#!/usr/bin/env python3
"""The varying pen of `draw_strokes` (every human-like training sketch S) against its full-canvas reference, same strokes.

`draw_strokes` with per-point widths and pressures used to compute every pixel of its supersampled canvas; it now
computes only the pixels within reach of the widest piece of pen (chapter 04a). This times both, interleaved in one
process on the same human-like strokes (chapter 05, default HumanConfig, a new seed per sketch), and checks that they
ink the same pixels to the bit. Strokes: chapter 03's toy faces, or the prepared faces of --data (real CelebA strokes).

    python bench/pen_speed.py [--data data/celeba_val128] [--n 40] [--sizes 128 256] [--repeats 3]
"""
import argparse, statistics, sys, time
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout too

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', help='a prepared folder (`cali-sketch prepare`): its faces\' strokes instead of toy faces')
    ap.add_argument('--n', type=int, default=40, help='faces (default 40)')
    ap.add_argument('--sizes', type=int, nargs='+', default=[128, 256])
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args(argv)
    from cali_sketch.humanlike import human_strokes, HumanConfig
    from cali_sketch.pen import draw_strokes, _draw_varying_full
    from cali_sketch.strokes import face_strokes, select_strokes
    from cali_sketch.corrupt import toy_face_edges
    if a.data:
        from cali_sketch.data import PreparedFaces
        if not (Path(a.data)/'prepared.json').exists(): ap.error(f"--data {a.data}: not a prepared folder (no prepared.json)")
        ds = PreparedFaces(a.data, corrupt=False)
        strokes = [ds.strokes(i)[0] for i in range(min(a.n, len(ds)))]
    else: strokes = [select_strokes(face_strokes(*toy_face_edges(128, i))) for i in range(a.n)]
    cases = [(human_strokes(st, HumanConfig(), i), st.size) for i, st in enumerate(strokes)]
    print(f"{len(cases)} human-like sketches of {'prepared faces in ' + a.data if a.data else 'toy faces'}; median ms per sketch, interleaved, "
          f"{a.repeats} repeats\n\n| size | full canvas | within reach | speed-up | same ink |\n|---:|---:|---:|---:|---|")
    for size in a.sizes:
        t = {'full': [], 'reach': []}; same = True
        for _ in range(a.repeats):
            for (polys, w, p), s0 in cases:
                kw = dict(scale=size / s0)
                t0 = time.perf_counter(); ref = _draw_varying_full(polys, size, 3., w, p, **kw); t['full'].append(time.perf_counter() - t0)
                t0 = time.perf_counter(); got = draw_strokes(polys, size, 3., w, p, **kw); t['reach'].append(time.perf_counter() - t0)
                same &= np.array_equal(ref, got)
        f, r = (1000 * statistics.median(t[k]) for k in ('full', 'reach'))
        print(f"| {size} | {f:.2f} | {r:.2f} | {f / r:.2f}x | {'yes' if same else 'NO'} |")
        if not same: return 1
    return 0

if __name__ == '__main__': sys.exit(main())
