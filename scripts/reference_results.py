#!/usr/bin/env python3
"""The figure behind results/references-cpu: a shipped model beside the two reference predictors of chapter 41a
(the nearest training face, the mean training face), on CelebA val faces and on the real freehand sketches.

    cali-sketch eval --references mean nearest --reference-data data/celeba_train128 --data data/celeba_val128 \\
        --split all --out results/references-cpu/eval600.json
    python scripts/reference_results.py --model small-full-finetuned --bank data/celeba_train128 --val data/celeba_val128 \\
        --out results/references-cpu

Writes figure.png into --out: per row, S, the model's R and P, the nearest training face's R (its clean sketch) and
P (its photo), the mean training face, and the true photo (val faces only; a real sketch has none).
"""
import argparse
from pathlib import Path
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', default=None, help='a shipped model (default: the default)')
    ap.add_argument('--bank', required=True, help="prepared folder whose 'train' split the references draw on")
    ap.add_argument('--val', required=True, help='prepared val folder (the first --faces faces, severity 0.5, seed 0, as cali-sketch eval --split all)')
    ap.add_argument('--faces', type=int, default=4)
    ap.add_argument('--sketches', default=str(ROOT/'tests'/'data'/'freehand'))
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    from cali_sketch.core import atomic_write
    from cali_sketch.figures import show_grid, fig_to_png
    from cali_sketch.pipeline import CaliSketch
    from cali_sketch.evaluate import eval_faces
    from cali_sketch.references import FaceBank, MeanFace, NearestFace
    pipe = CaliSketch.from_pretrained(a.model)
    bank = FaceBank.from_prepared(a.bank)
    mean, nr, npho = MeanFace(bank), NearestFace(bank, 'sketch'), NearestFace(bank, 'photo')
    ds = eval_faces(a.val, 0.5, split=None)
    rows = []
    def row(S, photo):
        S = S[None]; R = pipe.refine(S); P = pipe.synthesise(R)
        Rn = nr(S); Pn = npho(Rn)
        return [S[0], R[0], P[0], Rn[0], Pn[0], mean(S)[0], photo]
    for i in range(a.faces):
        s = ds[i]; rows.append(row(s['sketch'], s['photo']))
    for f in sorted(Path(a.sketches).glob('*.png')):
        rows.append(row(pipe.normalize(f), None))
    titles = ['S', 'R (model)', 'P (model)', 'R nearest (ref.)', 'P nearest (ref.)', 'mean face (ref.)', 'photo']
    png = fig_to_png(show_grid(rows, titles, size=1.25,
                               suptitle=f'model {pipe.name}; references from {len(bank)} training faces\nval faces (severity 0.5), then the real freehand sketches'), dpi=60)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out/'figure.png', 'wb') as fh: fh.write(png)
    print(f"wrote {out/'figure.png'}")

if __name__ == '__main__': main()
