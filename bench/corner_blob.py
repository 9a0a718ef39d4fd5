#!/usr/bin/env python3
"""Where fixed-position artefacts in P come from (issue 13, "the corner blob"): measurements on a trained model.

A dark blob in the same corner of many outputs is a feature the generator paints at an absolute position. A fully
convolutional network can only know absolute positions through its borders, so the two suspects are
  1. zero padding: EdgeConnect's two stride-2 encoder convolutions zero-pad while every other conv reflect-pads, so
     the image border looks like a black frame to them (a position signal; pix2pixHD #46/#140), and
  2. instance-norm "droplets" (Karras et al., StyleGAN2 sec. 2): a channel that puts a huge spike at one spot to
     control its own normalisation statistics, which then shows through as a blob.
This script measures, for one trained model on val faces:
  - the corner deficit: mean luminance of P minus that of the photos in each 16x16 corner (and in the centre), over N
    val sketches, and the same for the sketches (and photos) turned by 180 degrees: a deficit that stays in the same
    corner when the content moves to the opposite one is painted by position, not by content;
  - the same with the same weights in a network whose stride-2 convs reflect-pad (ModelConfig.down_pad='reflect',
    no retraining): if a corner deficit is the zero padding's doing, it changes there and little elsewhere;
  - droplets: for each instance norm of G2, the share of channels whose pre-norm maximum sits at the same position in
    more than half of the inputs with a peak above 10x the channel's mean magnitude.

    python bench/corner_blob.py --model small-full-long --val data/celeba_val128 --n 100
    python bench/corner_blob.py --model runs/human-synth/full --val data/celeba_val128 --json out.json
"""
from __future__ import annotations
import argparse, json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np
import torch
from torch import nn
from torch.utils.data import default_collate

def luminance(x): return (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2])

def regions(size, k=16):
    c = size // 2 - k // 2
    return {'top-left': (slice(0, k), slice(0, k)), 'top-right': (slice(0, k), slice(-k, None)),
            'bottom-left': (slice(-k, None), slice(0, k)), 'bottom-right': (slice(-k, None), slice(-k, None)),
            'centre': (slice(c, c + k), slice(c, c + k))}

def reflect_copy(g2):
    "The same G2 weights in a network whose stride-2 convs reflect-pad (parameters copied in order)."
    import dataclasses
    from cali_sketch.models import G2
    h = G2(dataclasses.replace(g2.cfg, down_pad='reflect')).eval()
    ps, qs = list(g2.parameters()), list(h.parameters())
    assert len(ps) == len(qs) and all(p.shape == q.shape for p, q in zip(ps, qs))
    with torch.no_grad():
        for p, q in zip(ps, qs): q.copy_(p)
    return h

@torch.no_grad()
def measure(g2, S, photos):
    "{region: luminance of P minus the photos', for S as given and for S turned by 180 degrees}."
    out = {}
    for turn in (False, True):
        s, ph = (S.flip(-1, -2), photos.flip(-1, -2)) if turn else (S, photos)
        P = g2(s).float().clamp(0, 1)
        dl = luminance(P).mean(0) - luminance(ph).mean(0)
        for k, (ys, xs) in regions(P.shape[-1]).items(): out.setdefault(k, {})['turned' if turn else 'as_is'] = float(dl[ys, xs].mean())
    return out

@torch.no_grad()
def droplets(g2, S):
    "Per instance norm of G2: share of channels with a consistent, large pre-norm peak."
    found, hooks = {}, []
    for name, m in g2.named_modules():
        if isinstance(m, nn.InstanceNorm2d):
            hooks.append(m.register_forward_hook(lambda mod, inp, out, name=name: found.setdefault(name, inp[0].detach())))
    try: g2(S)
    finally:
        for h in hooks: h.remove()
    res = {}
    for name, x in found.items():
        B, C, H, W = x.shape; a = x.abs().reshape(B, C, -1)
        peak, where = a.max(-1); ratio = peak / a.mean(-1).clamp_min(1e-8)
        mode = torch.mode(where, dim=0).values  # per channel, the most common peak position
        same = (where == mode).float().mean(0)  # share of inputs with the peak there
        drop = ((same > 0.5) & (ratio.median(0).values > 10)).float().mean()
        res[name] = {'channels': C, 'droplet_share': float(drop), 'median_peak_ratio': float(ratio.median())}
    return res

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', required=True, help='a shipped model name or a run folder')
    ap.add_argument('--val', required=True, help='prepared val faces')
    ap.add_argument('--n', type=int, default=100); ap.add_argument('--severity', type=float, default=0.5)
    ap.add_argument('--json', help='write the numbers here')
    a = ap.parse_args(argv)
    from cali_sketch.pipeline import CaliSketch
    from cali_sketch.evaluate import eval_faces
    from cali_sketch.models import G2, ModelConfig
    ds = eval_faces(a.val, a.severity, None)
    b = default_collate([ds[i] for i in range(min(a.n, len(ds)))])
    f = Path(a.model)/'last.pt'
    sd = torch.load(f, map_location='cpu', weights_only=True) if f.is_file() else None
    if sd is not None and set(sd['models']) == {'G2', 'D2'}:  # an ISN run: G2 alone, fed what it was trained on (E_gt)
        g2 = G2(ModelConfig(**sd['config']['model'])); g2.load_state_dict(sd['models']['G2']); g2.eval()
        R, name = b['gt'], f"{Path(a.model).parent.name}/{Path(a.model).name} (ISN run, G2 fed E_gt)"
    else:
        pipe = CaliSketch.from_run(a.model) if Path(a.model).exists() else CaliSketch.from_pretrained(a.model)
        R = pipe.refine(b['sketch']) if pipe.g1 is not None else b['sketch']
        g2, name = pipe.g2.eval(), pipe.name
    zero = measure(g2, R, b['photo'])
    refl = measure(reflect_copy(g2), R, b['photo']) if g2.cfg.down_pad == 'zero' else None
    doc = {'model': name, 'n': len(R), 'severity': a.severity, 'down_pad': g2.cfg.down_pad,
           'regions': zero, 'regions_same_weights_reflect_pad': refl, 'droplets': droplets(g2, R)}
    print(f"{name}: {len(R)} val faces, sketches at severity {a.severity}; luminance in [0,1]")
    print(f"| region (16x16) | P - photo | inputs turned 180° | same weights, stride-2 convs reflect-padded | turned |\n|---|---:|---:|---:|---:|")
    for k in zero:
        r = f"{refl[k]['as_is']:+.3f} | {refl[k]['turned']:+.3f}" if refl else '– | –'
        print(f"| {k} | {zero[k]['as_is']:+.3f} | {zero[k]['turned']:+.3f} | {r} |")
    print("| instance norm | channels | droplet share | median peak / mean |\n|---|---:|---:|---:|")
    for k, v in doc['droplets'].items(): print(f"| {k} | {v['channels']} | {v['droplet_share']:.2f} | {v['median_peak_ratio']:.1f} |")
    if a.json: Path(a.json).write_text(json.dumps(doc, indent=1))

if __name__ == '__main__': main()
