#!/usr/bin/env python3
"""Real freehand sketches through trained models, as a user runs them (`cali-sketch infer`), and the same models on the
synthetic val sketches (`cali-sketch eval`): the results behind results/real-sketches-cpu-small.

    python scripts/real_sketch_results.py --run old=runs/old-synth/full --run new=runs/human-synth/full \
        --val data/celeba_val128 --out results/real-sketches-cpu-small [--n 300]

Writes into --out: figure.png (per sketch: the drawing, S as the networks see it after normalisation, then R and P of
each model), stats.json and stats.md (fragmentation statistics of S and of each model's R, beside the drawings' own),
eval_<name>_<style>.json from `cali-sketch eval` on --n val faces with both sketch styles (kept: a later call
evaluates only what is missing), and table.md.
"""
import argparse, json, subprocess, sys, tempfile
from pathlib import Path
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
KEYS = ('pieces/100px', 'specks %', 'px/piece')

def cli(*args):
    r = subprocess.run([sys.executable, '-c', 'import sys; from cali_sketch.cli import main; sys.exit(main(sys.argv[1:]))', *map(str, args)],
                       capture_output=True, text=True)
    if r.returncode: raise SystemExit(f"cali-sketch {' '.join(map(str, args))} failed:\n{r.stderr[-3000:]}")
    return r

def ink(p): return 1 - np.asarray(Image.open(p).convert('L'), np.float32) / 255

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--run', action='append', required=True, metavar='NAME=RUN', help='a model: a name and its run folder (repeat)')
    ap.add_argument('--sketches', default=str(ROOT/'tests'/'data'/'freehand'), help='folder of real freehand sketches (PNG)')
    ap.add_argument('--val', help='prepared val folder for the synthetic-val table (skipped if not given)')
    ap.add_argument('--styles', nargs='+', default=['human', 'edges'], choices=['human', 'edges'], help='sketch styles of the val table')
    ap.add_argument('--n', type=int, default=300); ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    from cali_sketch.pen import sketch_stats
    from cali_sketch.core import atomic_write
    from cali_sketch.figures import show_grid, fig_to_png
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    runs = dict(r.split('=', 1) for r in a.run)
    sketches = sorted(Path(a.sketches).glob('*.png'))
    work = Path(tempfile.mkdtemp())
    for name, run in runs.items(): cli('infer', run, *sketches, '--out', work/name)
    stats = {'drawings': [sketch_stats(ink(p)) for p in sketches]}
    first = next(iter(runs))
    stats['S (normalised)'] = [sketch_stats(ink(work/first/f'{p.stem}_S.png')) for p in sketches]
    for name in runs: stats[f'R {name}'] = [sketch_stats(ink(work/name/f'{p.stem}_R.png')) for p in sketches]
    med = {k: {m: float(np.median([s[m] for s in v])) for m in KEYS} for k, v in stats.items()}
    rng = {m: (min(s[m] for s in stats['drawings']), max(s[m] for s in stats['drawings'])) for m in KEYS}
    lines = ['| 128 px, median of %d sketches | pieces per 100 px of stroke | %% of ink in specks | px of stroke per piece |' % len(sketches),
             '|---|---:|---:|---:|']
    lines += [f"| {k} | " + ' | '.join(f"{med[k][m]:.2f}" for m in KEYS) + ' |' for k in med]
    lines += ['| range of the drawings (min..max) | ' + ' | '.join(f"{lo:.2f}..{hi:.2f}" for lo, hi in rng.values()) + ' |']
    (out/'stats.md').write_text('\n'.join(lines) + '\n')
    with atomic_write(out/'stats.json', 'w') as f: json.dump({'per_sketch': {k: dict(zip([p.name for p in sketches], v)) for k, v in stats.items()},
                                                               'median': med, 'drawings_range': rng, 'runs': runs}, f, indent=1)
    rows = []
    for p in sketches:
        row = [Image.open(p).convert('RGB').resize((128, 128), Image.Resampling.BOX), Image.open(work/first/f'{p.stem}_S.png').convert('RGB')]
        for name in runs: row += [Image.open(work/name/f'{p.stem}_R.png').convert('RGB'), Image.open(work/name/f'{p.stem}_P.png').convert('RGB')]
        rows.append(row)
    titles = ['drawing (box-resized)', 'S (normalised)'] + [t for name in runs for t in (f'R ({name})', f'P ({name})')]
    with atomic_write(out/'figure.png') as f: f.write(fig_to_png(show_grid(rows, titles, size=1.5), dpi=72))
    print('\n'.join(lines))
    if a.val:
        tables = []
        for style in a.styles:
            for name, run in runs.items():
                f = out/f'eval_{name}_{style}.json'
                if f.exists() and next(iter(json.loads(f.read_text())['runs'].values()))['data']['count'] == a.n: continue  # made earlier
                cli('eval', run, '--data', a.val, '--split', 'all', '--n', a.n, '--sketch', style, '--out', out/f'eval_{name}_{style}.json', '--quiet')
            evals = {name: json.loads((out/f'eval_{name}_{style}.json').read_text())['runs'] for name in runs}
            evals = {name: next(iter(v.values())) for name, v in evals.items()}
            from cali_sketch.evaluate import results_table
            tables.append(f"### val sketches of style `{style}` ({a.n} faces)\n\n" + results_table(evals))
        (out/'table.md').write_text('\n\n'.join(tables) + '\n')
        print('\n\n'.join(tables))

if __name__ == '__main__': main()
