#!/usr/bin/env python3
"""Throughput of poorly-drawn-sketch synthesis (cali_sketch.corrupt) on one CPU core.

The data loader re-synthesises the input sketch S every epoch, so `corrupt_sketch` must keep a GPU fed:
the target is 150 samples/s per core at 128x128. Prints samples/s per core at 128 and 256 and the ratio to
that target. Rates are per CPU second of this process (time.process_time), so other work on a shared machine
does not distort them; the wall-clock rate is printed beside. Input: three jittered toy faces on one page (about the stroke count of a real 128x128 face), or
Canny edges of real photos with --photos DIR.

    python bench/corrupt_throughput.py [--n 300] [--severity 1.0] [--photos ../shared/data/celeba/val]
"""
import argparse, sys, time
from pathlib import Path
import numpy as np, cv2

TARGET = 150.0  # samples/s per core at 128x128

def toy_inputs(size):
    from cali_sketch.corrupt import toy_face_edges
    faces = [toy_face_edges(size, seed=k) for k in range(3)]
    return [(faces[0][0] | faces[1][0] | faces[2][0], faces[0][1] | faces[1][1] | faces[2][1])]

def photo_inputs(folder, size, k=8):
    from skimage.feature import canny
    from cali_sketch.core import load_image, crop_resize, IMAGE_EXTS
    if not Path(folder).is_dir(): raise SystemExit(f"--photos {folder}: not a folder")
    paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTS)[:k]
    if not paths: raise SystemExit(f"--photos {folder}: no images found")
    out = []
    for p in paths:
        g = np.asarray(crop_resize(load_image(p), size).convert('L'), np.float32) / 255
        out.append((canny(g, sigma=2 * size / 256 + 1, low_threshold=0.8, high_threshold=0.9, use_quantiles=True),
                    canny(g, sigma=2)))
    return out

def measure(inputs, cfg, n):
    from cali_sketch.corrupt import corrupt_sketch
    corrupt_sketch(*inputs[0], cfg, 0)  # warm up
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n): corrupt_sketch(*inputs[i % len(inputs)], cfg, i)
    return n / (time.process_time() - c0), n / (time.perf_counter() - t0)

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=300, help='samples per size (default 300)')
    ap.add_argument('--severity', type=float, default=1.0, help='CorruptConfig.severity (default 1.0: the most work)')
    ap.add_argument('--photos', default=None, help='folder of face photos to take Canny edges from (default: toy faces)')
    ap.add_argument('--sizes', type=int, nargs='+', default=[128, 256])
    a = ap.parse_args(argv)
    from cali_sketch.corrupt import CorruptConfig
    cfg = CorruptConfig(severity=a.severity)
    cv2.setNumThreads(1)  # per core: a data-loader worker gets one
    print(f"corrupt_sketch, severity {a.severity}, one core (cv2.setNumThreads(1)), inputs: {a.photos or 'toy faces'}")
    for size in a.sizes:
        inputs = photo_inputs(a.photos, size) if a.photos else toy_inputs(size)
        px = np.mean([g.sum() + l.sum() for g, l in inputs])
        rate, wall = measure(inputs, cfg, a.n)
        print(f"{size:4d}x{size:<4d} {rate:7.1f} samples/s per core (CPU time)   {rate / TARGET:5.2f}x the {TARGET:.0f}/s target"
              f"   [{wall:.1f}/s wall clock; mean stroke px in E_gc+E_ld: {px:.0f}]")
    return 0

if __name__ == '__main__':
    sys.exit(main())
