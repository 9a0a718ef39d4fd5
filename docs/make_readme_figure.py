#!/usr/bin/env python
"""Make docs/img/pipeline.png for the README: synthetic faces -> E_gc (real HED) | E_ld (Canny) | E_gt | S at three severities.

    python docs/make_readme_figure.py
"""
from pathlib import Path
from cali_sketch.core import crop_resize, show_grid, fig_to_png, atomic_write
from cali_sketch.faces import synth_face
from cali_sketch.edges import EdgeExtractor, load_contour_detector
from cali_sketch.corrupt import CorruptConfig, corrupt_sketch

def main(out=Path(__file__).parent/'img'/'pipeline.png', seeds=(3, 11, 27), size=128):
    det = load_contour_detector()  # the real HED (BSDS500) weights; raises with instructions if they are missing
    photos = [crop_resize(synth_face(s), size) for s in seeds]
    edges = EdgeExtractor(det)(photos)
    rows = [[p, e['gc'], e['ld'], e['gt']] + [corrupt_sketch(e['gc'], e['ld'], CorruptConfig(severity=v), rng=s)
                                              for v in (0.25, 0.5, 0.75)]
            for s, p, e in zip(seeds, photos, edges)]
    titles = ['photo $I_{gt}$', f'$E_{{gc}}$ ({det.name})', '$E_{ld}$ (Canny)', '$E_{gt}$',
              'S, severity 0.25', 'S, severity 0.5', 'S, severity 0.75']
    fig = show_grid(rows, titles=titles, size=1.6)
    with atomic_write(out) as f: f.write(fig_to_png(fig, dpi=90))
    print(f'wrote {out}')

if __name__ == '__main__': main()
