#!/usr/bin/env python3
"""Stroke joining (`cali_sketch.strokes.join_strokes`) against the O(N^3) version it replaced, on the same strokes.

`prepare` traces every face's edge maps into strokes and joins the broken ones (chapter 04). The first version rebuilt
every end-to-end distance after each join: the Canny map of a CelebA face with much hair took up to 37 s to
join at 256 px. Prints, per input, the strokes before/after joining, both times, the speed-up, and whether the two
gave the same strokes. Inputs: broken circles with noise at 128 and --size px, or Canny edges of real photos (--photos).

    python bench/join_strokes.py [--photos ../shared/data/celeba/val] [--size 256] [--n 4]
"""
import argparse, time
from pathlib import Path
import numpy as np

def broken_circles(size, seed):
    rng, m = np.random.default_rng(seed), np.zeros((size, size), bool)
    for _ in range(size // 6):
        (cx, cy), r = rng.uniform(0, size, 2), rng.uniform(5, size / 2); th = np.linspace(0, 2 * np.pi, int(8 * r))
        th = th[(np.arange(len(th)) // int(rng.integers(3, 8))) % 2 == 0]
        x, y = (cx + r * np.cos(th)).astype(int), (cy + r * np.sin(th)).astype(int); ok = (x >= 0) & (x < size) & (y >= 0) & (y < size)
        m[y[ok], x[ok]] = True
    return m | (rng.random(m.shape) < 0.02)

def photo_maps(folder, size, n):
    import cv2
    from cali_sketch.core import load_image, crop_resize, IMAGE_EXTS
    if not Path(folder).is_dir(): raise SystemExit(f"--photos {folder}: not a folder")
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTS)[:n]
    if not paths: raise SystemExit(f"--photos {folder}: no images found")
    return [(p.name, cv2.Canny(np.asarray(crop_resize(load_image(p), size).convert('L')), 50, 150) > 0) for p in paths]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--photos', help='Canny edges of the first N photos of this folder instead of broken circles')
    ap.add_argument('--size', type=int, default=192, help='side of the larger maps (256: the naive version takes minutes)'); ap.add_argument('--n', type=int, default=4)
    a = ap.parse_args()
    from cali_sketch.strokes import join_strokes, trace_strokes, clean_stroke, _join_strokes_naive as naive_join
    maps = photo_maps(a.photos, a.size, a.n) if a.photos else [(f'broken circles {s} px, seed {k}', broken_circles(s, k)) for s in (128, a.size) for k in range(2)]
    tf = tn = 0.
    for name, m in maps:
        polys = [clean_stroke(p, 0.5, 1.5) for p in trace_strokes(m, thin=False)]
        t = time.process_time(); fast = join_strokes(polys); t1 = time.process_time() - t
        t = time.process_time(); slow = naive_join(polys); t2 = time.process_time() - t
        same = len(fast) == len(slow) and all(np.array_equal(x, y) for x, y in zip(fast, slow))
        tf, tn = tf + t1, tn + t2
        print(f"{name}: {len(polys)} -> {len(fast)} strokes, join {t1 * 1e3:.1f} ms vs naive {t2 * 1e3:.0f} ms ({t2 / max(t1, 1e-9):.0f}x), same strokes: {same}")
    print(f"all: {tf:.3f} s vs naive {tn:.2f} s of CPU time: {tn / max(tf, 1e-9):.0f}x faster")

if __name__ == '__main__': main()
