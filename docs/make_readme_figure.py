#!/usr/bin/env python
"""Make docs/img/pipeline.png for the README: face photo -> E_gc (real HED) | E_ld (Canny) | strokes | clean target E_gt |
human-like S at three severities.

    python docs/make_readme_figure.py [--data data/celeba_val128]

With --data (a prepared folder of real faces) it shows real faces; without, procedural ones (as CI can make them).
"""
import argparse
from pathlib import Path
import numpy as np
from cali_sketch.core import crop_resize, atomic_write, load_image
from cali_sketch.figures import show_grid, fig_to_png
from cali_sketch.strokes import face_strokes, select_strokes
from cali_sketch.pen import draw_strokes
from cali_sketch.humanlike import HumanConfig, human_sketch

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', help='a prepared folder (real faces); default: procedural faces')
    ap.add_argument('--out', default=str(Path(__file__).parent/'img'/'pipeline.png'))
    a = ap.parse_args(argv)
    if a.data:
        from cali_sketch.prepare import read_manifest, unpack_edges
        names = [s['name'] for s in read_manifest(a.data)['samples']][:60:20]
        faces = [(np.asarray(load_image(Path(a.data)/'photos'/f'{n}.png')), *unpack_edges(load_image(Path(a.data)/'edges'/f'{n}.png'))) for n in names]
        det_name, what = 'HED', 'CelebA val faces'
    else:
        from cali_sketch.faces import synth_face
        from cali_sketch.edges import EdgeExtractor, load_contour_detector
        det = load_contour_detector()  # the real HED (BSDS500) weights; raises with instructions if they are missing
        photos = [crop_resize(synth_face(s), 128) for s in (3, 11, 27)]
        faces = [(np.asarray(p), e['gc'], e['ld']) for p, e in zip(photos, EdgeExtractor(det)(photos))]
        det_name, what = det.name, 'procedural faces'
    rows = []
    for k, (photo, gc, ld) in enumerate(faces):
        sel = select_strokes(face_strokes(gc, ld)); size = len(photo)
        rows.append([photo, gc, ld, draw_strokes(sel, size)] + [human_sketch(sel, HumanConfig(severity=v), rng=k) for v in (0.25, 0.5, 0.75)])
    titles = ['photo $I_{gt}$', f'$E_{{gc}}$ ({det_name})', '$E_{ld}$ (Canny)', 'target $E_{gt}$ (strokes)',
              'S, severity 0.25', 'S, severity 0.5', 'S, severity 0.75']
    fig = show_grid(rows, titles=titles, size=1.6)
    with atomic_write(a.out) as f: f.write(fig_to_png(fig, dpi=90))
    print(f'wrote {a.out} ({what})')

if __name__ == '__main__': main()
