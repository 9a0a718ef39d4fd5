#!/usr/bin/env python3
"""The results of chapter 45 (the level-conditioned SCN): a sweep of the level on val faces and the real freehand
sketches at five levels, into results/level-cpu-small.

    python scripts/level_results.py --scn runs/level/scn --val data/celeba_val128 --g2 small-full-long --out results/level-cpu-small

--g2 is the shipped model (or a run folder) whose G2 paints P from R. Writes sweep.json, sweep.png, real.png and a
README.md whose table is made from sweep.json.
"""
import argparse, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--scn', required=True, help='the level-conditioned SCN run')
    ap.add_argument('--val', required=True, help='prepared val faces')
    ap.add_argument('--g2', required=True, help='a shipped model name or a run folder: its G2 paints P')
    ap.add_argument('--n', type=int, default=150); ap.add_argument('--out', required=True)
    ap.add_argument('--sketches', default=str(ROOT/'tests'/'data'/'freehand'))
    ap.add_argument('--reuse', action='store_true', help='keep an existing sweep.json (redo the figure and the table only)')
    a = ap.parse_args(argv)
    import torch
    from cali_sketch.core import atomic_write
    from cali_sketch.figures import fig_to_png
    from cali_sketch.level import load_g1, level_sweep, plot_level_sweep, level_figure, best_levels
    from cali_sketch.pipeline import CaliSketch
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    g1 = load_g1(a.scn)
    sd = torch.load(Path(a.scn)/'last.pt', map_location='cpu', weights_only=True)
    if a.reuse and (out/'sweep.json').exists(): sweep = json.loads((out/'sweep.json').read_text())
    else: sweep = level_sweep(g1, a.val, n=a.n)
    sweep['scn'] = dict(run=a.scn, steps=sd['step'], minutes=round(sd.get('elapsed', 0) / 60, 1), levels=sd['config']['levels'],
                        scn_init=sd['config']['scn_init'])
    with atomic_write(out/'sweep.json', 'w') as f: json.dump(sweep, f, indent=1)
    with atomic_write(out/'sweep.png') as f: f.write(fig_to_png(plot_level_sweep(sweep), dpi=80))
    src = CaliSketch.from_run(a.g2) if Path(a.g2).exists() else CaliSketch.from_pretrained(a.g2)
    pipe = CaliSketch(g1, src.g2, src.size, name=f'level SCN + G2 of {src.name}')
    sketches = sorted(Path(a.sketches).glob('*.png'))
    with atomic_write(out/'real.png') as f: f.write(fig_to_png(level_figure(pipe, sketches, size=1.15), dpi=60))
    best = best_levels(sweep)
    rows = ['| sketch severity | Chamfer S to E_gt | R to E_gt at level 0 / 0.5 / 1 | best level | R to S at level 0 / 0.5 / 1 | edge-F1 R at best level (S) |',
            '|---:|---:|---|---:|---|---|']
    for s, r in sweep['results'].items():
        g = lambda l, k='gt', m='chamfer': r[f'{l:g}'][k][m]
        rows.append(f"| {s} | {sweep['S_vs_gt'][s]['chamfer']:.2f} | {g(0):.2f} / {g(.5):.2f} / {g(1):.2f} | {best[s]:g} | "
                    f"{g(0, 'S'):.2f} / {g(.5, 'S'):.2f} / {g(1, 'S'):.2f} | {g(best[s], m='edge-F1@2px'):.3f} ({sweep['S_vs_gt'][s]['edge-F1@2px']:.3f}) |")
    table = '\n'.join(rows)
    print(table)
    readme = out/'README.md'
    head = readme.read_text().split('<!-- table -->')[0] if readme.exists() else f"# The level-conditioned SCN on CelebA 128 (CPU, small model)\n\n"
    tail = readme.read_text().split('<!-- /table -->')[1] if readme.exists() else '\n'
    readme.write_text(head + '<!-- table -->\n' + table + '\n<!-- /table -->' + tail)

if __name__ == '__main__': main()
