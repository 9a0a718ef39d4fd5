#!/usr/bin/env python
"""What rounding the HED weights for the GPU machine's upload costs (scripts/gpu/transport.py pack-hed --round).

    python bench/hed_rounding.py --data data/celeba_val128 --n 300

The HED VGG-16 trunk is both the perceptual/style feature network of training and the feature network of
FD-HEDVGG16. The GPU call carries it rounded (int8 with one scale per output channel: 10.8 MiB of the 64 MiB upload,
against 18.6 for bf16 and 24 for fp16). For fp32, fp16, bf16 and int8 copies of the same weights this prints FD-HEDVGG16 between the shipped default model's P and the real photos of
N prepared faces (sketches at severity 0.5), the FD between two halves of the real photos, and how far the pooled
features move from the fp32 ones. Model cards are always scored here with the fp32 weights.
"""
import argparse, sys, tempfile
from pathlib import Path
import numpy as np
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'scripts'/'gpu'))
from transport import ROUNDERS  # the rounding pack-hed does
from cali_sketch.hed import hed_state_dict
from cali_sketch.fid import make_feature_backbone, feature_stats, frechet_distance
from cali_sketch.pipeline import CaliSketch
from cali_sketch.data import PreparedFaces

ROUNDINGS = {'fp32': lambda v: v, **ROUNDERS}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', default='data/celeba_val128', help='a prepared folder (default data/celeba_val128)')
    ap.add_argument('--n', type=int, default=300, help='faces (default 300)')
    ap.add_argument('--weights', default=None, help='shipped model name or exported file (default: the shipped default)')
    a = ap.parse_args(argv)
    torch.set_grad_enabled(False); torch.manual_seed(0)
    try: ds = PreparedFaces(a.data, seed=0, progress=False)
    except FileNotFoundError as e: sys.exit(f"--data {a.data}: {e}")
    n = min(a.n, len(ds)); items = [ds[i] for i in range(n)]
    real, S = torch.stack([s['photo'] for s in items]), torch.stack([s['sketch'] for s in items])
    pipe = CaliSketch.from_pretrained(a.weights)
    P = torch.cat([pipe.synthesise(pipe.refine(S[i:i + 50])) for i in range(0, n, 50)]).clamp(0, 1)
    sd, ref = hed_state_dict(), None
    print(f"{n} faces of {a.data}, P from {a.weights or 'the shipped default'}\n")
    print(f"{'HED weights':<12}{'FD(P, real)':>12}{'FD(real/2, real/2)':>20}{'feature |d| / |f|':>20}{'max |d| / max |f|':>20}")
    for name, f in ROUNDINGS.items():
        with tempfile.TemporaryDirectory() as tmp:  # the feature network loads its weights from a file, as users give them
            path = f"{tmp}/hed_{name}.pth"; torch.save({k: f(v) for k, v in sd.items()}, path)
            net = make_feature_backbone('hed-vgg16', weights=path)
        feats = lambda x: torch.cat([net(x[i:i + 50]) for i in range(0, n, 50)]).double().numpy()
        fr, fp = feats(real), feats(P)
        fd = frechet_distance(*feature_stats(fp), *feature_stats(fr))
        fd_rr = frechet_distance(*feature_stats(fr[:n // 2]), *feature_stats(fr[n // 2:]))
        if ref is None: ref, mean_d, max_d = fr, '–', '–'
        else: mean_d, max_d = f"{np.abs(fr - ref).mean() / np.abs(ref).mean():.1e}", f"{np.abs(fr - ref).max() / np.abs(ref).max():.1e}"
        print(f"{name:<12}{fd:>12.2f}{fd_rr:>20.2f}{mean_d:>20}{max_d:>20}")

if __name__ == '__main__': main()
