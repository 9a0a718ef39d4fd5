#!/usr/bin/env python
"""Throughput of data preparation (decode + crop + HED + Canny + atomic writes) and of the on-the-fly dataset.

    python bench/prepare_throughput.py                                   # 64 synthetic faces
    python bench/prepare_throughput.py --data ../shared/data/celeba/val --n 200

Prints images/s for `prepare` at --size (HED included) with its ratio to the 9 img/s target, the HED-only rate,
and `PreparedFaces.__getitem__` samples/s per core (sketch corruption included, one thread, no workers).
"""
import argparse, os, sys, tempfile, time
from pathlib import Path
import torch
from cali_sketch.core import IMAGE_EXTS, load_image, crop_resize
from cali_sketch.faces import make_face_folder
from cali_sketch.edges import EdgeExtractor, load_contour_detector
from cali_sketch.prepare import prepare
from cali_sketch.photos import find_images
from cali_sketch.data import PreparedFaces

TARGET = 9.0  # img/s: 5,400 photos in 10 minutes

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', help='folder of real photos (default: synthetic faces)')
    ap.add_argument('--n', type=int, default=64, help='number of images (default 64)')
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--batch-size', type=int, default=16)
    ap.add_argument('--hed-weights', default=None)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--passes', type=int, default=3, help='passes over the dataset for __getitem__ timing')
    a = ap.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    print(f"machine: {cores} cores, torch {torch.__version__}, {torch.get_num_threads()} intra-op threads, device {a.device}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); src = tmp/'src'; src.mkdir()
        if a.data:
            files = find_images(a.data)[:a.n]
            if not files: sys.exit(f"{a.data}: no images")
            for i, f in enumerate(files): (src/f'{i:06d}{f.suffix.lower()}').symlink_to(Path(f).resolve())
            what = f"{len(files)} real photos from {a.data}"
        else:
            make_face_folder(src, a.n, seed=0); what = f"{a.n} synthetic faces (178x218)"
        t = time.perf_counter()
        ext = EdgeExtractor(load_contour_detector(weights=a.hed_weights, device=a.device))
        t_load = time.perf_counter() - t
        ext([crop_resize(load_image(p), a.size) for p in sorted(src.iterdir())[:2]])  # warm-up
        load0, c0 = os.getloadavg()[0], time.process_time()
        rep = prepare(src, tmp/'out', size=a.size, detector=ext, batch_size=a.batch_size, progress=False)
        cpu = time.process_time() - c0
        print(f"\nprepare: {what} at {a.size}x{a.size}, batch {a.batch_size}, contours {rep.contours.get('name')}")
        print(f"  detector load {t_load:.1f}s (once per run); load average at start {load0:.1f} on {cores} cores"
              + ("  << the machine is busy: wall-clock rates below are pessimistic" if load0 > cores else ''))
        print(f"  {rep.new} images in {rep.seconds:.1f}s = {rep.rate:.1f} img/s  "
              f"({rep.rate / TARGET:.2f}x the {TARGET:g} img/s target; 5,400 photos in {5400 / max(rep.rate, 1e-9) / 60:.1f} min)")
        print(f"  CPU time {cpu / max(rep.new, 1) * 1000:.0f} ms/image (all threads); if those {cores} cores were ours alone: "
              f"<= {cores * rep.new / max(cpu, 1e-9):.1f} img/s")
        ims = [crop_resize(load_image(p), a.size) for p in sorted(src.iterdir())[:max(a.batch_size, 32)]]
        t = time.perf_counter()
        for i in range(0, len(ims), a.batch_size): ext(ims[i:i + a.batch_size])
        print(f"  edges only (HED + post-processing + Canny): {len(ims) / (time.perf_counter() - t):.1f} img/s")
        if rep.failures: print(f"  skipped {len(rep.failures)}: {rep.failures[:3]}")

        nt = torch.get_num_threads(); torch.set_num_threads(1)
        ds = PreparedFaces(tmp/'out', seed=0)
        ds[0]
        t = time.perf_counter()
        for e in range(a.passes):
            ds.set_epoch(e)
            for i in range(len(ds)): ds[i]
        n = a.passes * len(ds); dt = time.perf_counter() - t
        torch.set_num_threads(nt)
        print(f"\ndataset: PreparedFaces.__getitem__ with sketch corruption at {a.size}x{a.size}, 1 thread: "
              f"{n / dt:.0f} samples/s per core ({1000 * dt / n:.1f} ms/sample)")

if __name__ == '__main__': main()
