#!/usr/bin/env python3
"""Ship trained runs as the repository's pretrained weights (weights/): the five variants of a `cali-sketch reproduce`
run, and optionally a longer-trained model as the default. Each gets fp16 weights, a model card with its val metrics
(from the reproduce run's results.json, or evaluated here) and a figure on the real freehand sketches made from the
shipped (fp16) file itself.

    python scripts/ship_pretrained.py --repro runs/human-repro2 --prefix small- \
        --extra small-full-long=runs/human-12k --default small-full-long --val data/celeba_val128 --n 300 --out weights

Re-running replaces the entries it writes and keeps the others.

    python scripts/ship_pretrained.py --intervals small-full=results/confidence-cpu/small-full.json ...

adds to shipped models' cards their metrics with 95 % bootstrap intervals from an evaluation that kept per-face values
(`cali-sketch eval NAME --data ... --split all --out EVAL.json`; chapter 42b), without touching their weights.
"""
import argparse, json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def figure(name, out, sketches, label='fp16'):
    "Per real sketch: the drawing, S as the network sees it, R and P of the shipped model `name` (read from `out`)."
    from PIL import Image
    from cali_sketch.figures import show_grid, fig_to_png
    from cali_sketch.pipeline import CaliSketch
    os.environ['CALI_SKETCH_WEIGHTS'] = str(out)
    p = CaliSketch.from_pretrained(name)
    rows = []
    for s in sketches:
        r = p(s)
        rows.append([Image.open(s).convert('RGB').resize((128, 128), Image.Resampling.BOX), r.S, r.R, r.P])
    titles = ['drawing', 'S (normalised)', 'R' if p.g1 is not None else 'R (none: G2 sees S)', 'P']
    return fig_to_png(show_grid(rows, titles, size=1.25, suptitle=f'{name} ({label}) on real sketches'), dpi=60)

def attach_intervals(name, eval_file, out):
    "Put shipped model `name`'s metrics with 95 % bootstrap intervals (from its evaluation in `eval_file`) in its card and index entry."
    from cali_sketch.pretrained import read_index, attach_card_section
    from cali_sketch.compare import model_intervals, intervals_table
    runs = json.loads(Path(eval_file).read_text())['runs']
    if name not in runs: sys.exit(f"{eval_file}: no evaluation of {name} (there: {', '.join(runs)})")
    ev, entry = runs[name], read_index(out)['weights'].get(name)
    if entry is None: sys.exit(f"{name}: not shipped in {out}")
    src = {Path(v).name for v in ev['model'].get('sources', {}).values()}
    if src != {entry['file']}: sys.exit(f"{eval_file}: {name}'s evaluation read {sorted(src)}, not the shipped {entry['file']}")
    mi = model_intervals({**ev, 'name': name})
    d = mi['data']
    text = (intervals_table(mi) + f" All {d['count']} val faces of `{Path(d['path']).name}` ({d['size']} px, split {d['split']}); the first "
            "300 are the faces and sketches of the table above. FD-HEDVGG16 depends on the number of faces (lower with more): compare it only "
            f"between evaluations of the same faces. Whether this model beats another is a paired question: `cali-sketch compare` "
            f"(results/confidence-cpu).")
    keep = {k: mi[k] for k in ('faces', 'level', 'resamples', 'seed')}
    keep['rows'] = {sv: {m: [float(f'{x:.6g}') for x in v] for m, v in r.items()} for sv, r in mi['rows'].items()}
    keep['data'] = {'name': Path(d['path']).name, 'split': d['split'], 'size': d['size']}
    attach_card_section(name, f"With {mi['level']:.0%} intervals, on all {d['count']} val faces", text, out, val_ci=keep)
    print(f"{name}: intervals on {d['count']} faces added to its card", flush=True)

def write_readme(out):
    "weights/README.md: what is shipped, from index.json."
    from cali_sketch.pretrained import read_index
    from cali_sketch.cards import LICENCE, _fmt as f  # '–' for a metric that is missing (or not finite)
    doc = read_index(out)
    rows = ['| model | what | MB | edge-F1 of R @0.5 (S) | Chamfer of R @0.5 (S) | PSNR of P @0.5 | FD-HEDVGG16 @0.5 |', '|---|---|---:|---|---|---:|---:|']
    for n, e in doc['weights'].items():
        v = e.get('val', {}).get('0.5', {}); R, S, P = v.get('R', {}), v.get('S', {}), v.get('P', {})
        rows.append(f"| [{n}]({e['card']}){' (default)' if n == doc['default'] else ''} | {e['what']} | {e['bytes'] / 1e6:.2f} | "
                    f"{f(R.get('edge-F1@2px'), '.3f')} ({f(S.get('edge-F1@2px'), '.3f')}) | {f(R.get('chamfer'), '.2f')} ({f(S.get('chamfer'), '.2f')}) | "
                    f"{f(P.get('PSNR'), '.2f')} | {f(P.get('FD-HEDVGG16'), '.0f')} |")
    refs = ROOT/'results'/'references-cpu'/'eval.json'  # the reference predictors (chapter 41a), on the same 300 val faces
    if refs.is_file():
        for n, ev in json.loads(refs.read_text())['runs'].items():
            if not ev['model'].get('reference'): continue
            v = ev['results'].get('0.5', {}); R, P = v.get('R', {}), v.get('P', {})
            rows.append(f"| *{n}* | learns nothing: {ev['model']['stages']} | – | {f(R.get('edge-F1@2px'), '.3f')} | {f(R.get('chamfer'), '.2f')} | "
                        f"{f(P.get('PSNR'), '.2f')} | {f(P.get('FD-HEDVGG16'), '.0f')} |")
    total = sum(e['bytes'] for e in doc['weights'].values())
    ci = [n for n, e in doc['weights'].items() if e.get('val_ci')]
    ci_note = (f"\n\n{'Every' if len(ci) == len(doc['weights']) else ', '.join(ci) + ':'} card also gives each number on all "
               f"{doc['weights'][ci[0]]['val_ci']['faces']} val faces with its 95 % bootstrap interval over the faces (chapter 42d): "
               "PSNR moves by about ±0.15 dB and edge F1 by about ±0.007 between draws of faces, the FD by hundreds. Whether one "
               "model beats another is a paired question, answered in `results/confidence-cpu`.") if ci else ''
    text = f"""# Pretrained weights

Small Cali-Sketch models trained on this project's 2-core CPU machine, shipped so that a fresh clone has something
real to try: `cali-sketch infer SKETCH... --out OUT` uses the default, `cali-sketch weights` lists them,
`CaliSketch.from_pretrained(NAME)` loads one (chapter 31). Each has a model card (linked) with its training facts,
its metrics on the val faces at three sketch severities, and a figure on the five real freehand sketches of
`tests/data/freehand`.

**These are CPU-sized models** (16 channels, 2 residual blocks, 128 px, minutes of training), not the paper's
networks: R is a usable calibrated sketch, P a blurred face with the sketch's layout. {total / 1e6:.1f} MB in all, fp16.

{chr(10).join(rows)}

Metrics on the val faces as in chapter 42 (human-like sketches of severity 0.5; edge scores of R against the clean
target E_gt, S's own in brackets; FD-HEDVGG16 is a Fréchet distance on HED VGG-16 features, not FID, biased at this
sample size: compare within the table). The two rows in italics learn nothing (chapter 41a,
`results/references-cpu`): the mean face beats every P here on SSIM, because a sketch carries no colour and pixel
scores reward the average face; the nearest face's real photos set the floor of the feature distance.{ci_note}

**Licence.** {LICENCE}

Made by `scripts/ship_pretrained.py` (see each card for the training commands); the files are safetensors (fp16, or
int8 with one scale per channel where a card says so) whose SHA-256 `index.json` records and `CaliSketch.from_pretrained` checks.
"""
    (Path(out)/'README.md').write_text(text)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--repro', help='a `cali-sketch reproduce` results folder (results.json, one folder per variant)')
    ap.add_argument('--prefix', default='small-', help='name prefix of the variants (default small-)')
    ap.add_argument('--extra', action='append', default=[], metavar='NAME=RUN', help='another trained run to ship (repeat)')
    ap.add_argument('--default', help='the name to make the default')
    ap.add_argument('--val', help='prepared val folder, to evaluate --extra runs for their cards')
    ap.add_argument('--n', type=int, default=300, help='val faces for those evaluations (default 300)')
    ap.add_argument('--sketches', default=str(ROOT/'tests'/'data'/'freehand'))
    ap.add_argument('--out', default=str(ROOT/'weights'))
    ap.add_argument('--what', action='append', default=[], metavar='NAME=TEXT', help='the one-line description of an --extra model (repeat)')
    ap.add_argument('--note', action='append', default=[], metavar='NAME=TEXT', help='a line for the card of NAME (repeat)')
    ap.add_argument('--dtype', action='append', default=[], metavar='NAME=int8', help="store NAME int8, one scale per channel (chapter 17) instead of fp16 (repeat)")
    ap.add_argument('--intervals', action='append', default=[], metavar='NAME=EVAL.json', help="add NAME's metrics with bootstrap intervals from EVAL.json to its card (repeat)")
    ap.add_argument('--cmd', action='append', default=[], metavar='NAME=COMMAND', help="a command that trained NAME (or 'repro=' for the variants), for its card (repeat)")
    a = ap.parse_args(argv)
    from cali_sketch.pretrained import ship_weights
    from cali_sketch.evaluate import evaluate_run
    out, sketches = Path(a.out), sorted(Path(a.sketches).glob('*.png'))
    cmds = {}
    for c in a.cmd: k, v = c.split('=', 1); cmds.setdefault(k, []).append(v)
    whats = dict(w.split('=', 1) for w in a.what)
    dtypes = dict(w.split('=', 1) for w in a.dtype)
    extra_notes = {}
    for c in a.note: k, v = c.split('=', 1); extra_notes.setdefault(k, []).append(v)
    todo = []  # (name, run, evaluation, what, notes)
    cpu = ("CPU-sized: 16-channel networks with 2 residual blocks trained for minutes on two CPU cores, at 128 px. "
           "P is a blurred face with the sketch's layout (hair, outline, where the features are), not a photo: "
           "photo quality needs the paper-size networks and a GPU.")
    if a.repro:
        doc = json.loads((Path(a.repro)/'results.json').read_text())
        budget = f"{doc['minutes']:g} minutes of training for the five variants together" if doc.get('minutes') else f"{doc['steps']} steps per variant"
        for v, what in doc['variants'].items():
            todo.append((a.prefix + v, Path(a.repro)/v, doc['runs'][v], f"`{v}` of the ablation table ({what}); {budget}",
                         [cpu, f"One row of the ablation table in results/ (`cali-sketch reproduce --out {a.repro}`): compare it with the other "
                               f"{a.prefix}* models, which had the same budget, not with the paper. The steps each stage reached are in the table above; "
                               f"results/celeba128-cpu-human/README.md says why they differ between variants (the VGG terms' cost)."]))
    for e in a.extra:
        name, run = e.split('=', 1)
        ev = None
        if a.val:
            print(f"evaluating {run} on {a.n} val faces", flush=True)
            ev = evaluate_run(run, a.val, n=a.n, split=None, progress=False)
        todo.append((name, Path(run), ev, whats.get(name, f"trained run {run}"), [cpu]))
    for name, run, ev, what, notes in todo:
        notes = notes + extra_notes.get(name, [])
        made = cmds.get("repro" if a.repro and run.parent == Path(a.repro) else name, [])
        dt = dtypes.get(name, 'float16'); label = 'int8' if dt == 'int8' else 'fp16'
        ship_weights(run, name, out, what=what, default=name == a.default, evaluation=ev, notes=notes, commands=made, dtype=dt)
        fig = out/f'.{name}.fig.png'
        fig.write_bytes(figure(name, out, sketches, label))
        e = ship_weights(run, name, out, what=what, default=name == a.default, evaluation=ev, notes=notes, figure=fig,
                         figure_caption="Left to right: the drawing (box-resized), S (what `cali-sketch infer` feeds the networks after "
                                        f"normalisation), R and P from the shipped {label} weights.",
                         commands=made, dtype=dt)
        fig.unlink()
        print(f"shipped {name}: {e['bytes'] / 1e6:.2f} MB, {label} error P max {e['diff']['P']['max']:.2g}", flush=True)
    for c in a.intervals:
        name, f = c.split('=', 1)
        attach_intervals(name, f, out)
    write_readme(out)
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{out}: {total / 1e6:.1f} MB in all (limit 25 MB)")
    if total > 25e6: sys.exit("over the 25 MB the repository allows weights")

if __name__ == '__main__': main()
