"""What the scripts that run the real freehand sketches through a shipped model share (photo_results, small_drawing_results,
ruled_results): their command line, the model and the sketches they load, and the results folder they write."""
import argparse, json
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

def parser(doc:str, out:str) -> argparse.ArgumentParser:
    "--model, --sketches and --out (default results/`out`), described by the first paragraph of the script's docstring `doc`."
    ap = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    ap.add_argument('--model', default=None, help='a shipped model (default: the default one)')
    ap.add_argument('--sketches', default=str(ROOT/'tests'/'data'/'freehand'), help='folder of real freehand sketches (PNG)')
    ap.add_argument('--out', default=str(ROOT/'results'/out))
    return ap

def load(a) -> tuple:
    "(the pipeline of the shipped model `a.model` names, or the default; the PNG sketches in `a.sketches`); an error when there are none."
    from cali_sketch.pipeline import CaliSketch
    pipe = CaliSketch.from_pretrained(a.model) if a.model else CaliSketch.from_pretrained()
    paths = sorted(Path(a.sketches).glob('*.png'))
    if not paths: raise SystemExit(f"--sketches {a.sketches}: no PNG sketches")
    return pipe, paths

def ranges(per:list, group:str, keys:list) -> dict:
    "{value of `group`: {key: [min, max]}} over the rows of `per`, the groups in the order they first appear."
    return {g: {k: [float(np.min(v := [r[k] for r in per if r[group] == g])), float(np.max(v))] for k in keys} for g in dict.fromkeys(r[group] for r in per)}

def write(out, fig, doc:dict, rng:dict, first:str, extra:tuple|None=None) -> None:
    "figure.png, metrics.json (`doc`) and metrics.md (a row per group of `rng`, headed `first`; `extra`: (header, {group: cell})) into `out`; the table printed."
    from cali_sketch.core import atomic_write
    from cali_sketch.figures import fig_to_png
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out/'figure.png') as f: f.write(fig_to_png(fig))
    with atomic_write(out/'metrics.json', 'w') as f: json.dump(doc, f, indent=1)
    keys = list(next(iter(rng.values())))
    head = [first, *keys] + ([extra[0]] if extra else [])
    lines = ['| ' + ' | '.join(head) + ' |', '|---|' + '---|' * (len(head) - 1)]
    lines += [f'| {g} | ' + ' | '.join(f'{lo:.2f}-{hi:.2f}' for lo, hi in r.values()) + (f' | {extra[1][g]}' if extra else '') + ' |' for g, r in rng.items()]
    with atomic_write(out/'metrics.md', 'w') as f: f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))
