#!/usr/bin/env python3
"""The files the `paper` phase of scripts/gpu/session.sh brings back from the GPU machine (at most 8), from its run:

    python scripts/gpu/report.py RUN WORK OUT [HED.xz]

RUN is the trained variant folder (reproduce's runs/.../full), WORK holds eval.json (cali-sketch eval) and real/
(scripts/real_sketch_results.py). HED.xz, the carried HED weights, tells metrics.json how they were rounded for the
trip (its "hed_weights"): the perceptual loss and FD-HEDVGG16 there used those. Writes into OUT: metrics.json (the
evaluation, the real-sketch statistics, the steps and minutes of every stage, the configs), samples.png (val faces
through the model), losses.png (every stage's loss curves), real.png (the real freehand sketches through it) and the
generators as fp16 parts paper.part0.. (at most 15 MB each; `scripts/gpu/transport.py unpack-export OUT/paper
paper.safetensors` joins them). The generators go first, on their own, right after training, so they come back even
if training was cut short or a later step fails:

    python scripts/gpu/report.py export RUN WORK OUT

The export carries the training facts for its model card: ship it with

    python scripts/ship_pretrained.py --extra paper-full=paper.safetensors --dtype paper-full=int8 --val data/celeba_val128
"""
import io, json, os, subprocess, sys
from pathlib import Path

def _stages(run):
    "({stage: folder}, {stage: steps, minutes, config}): from variant.json when training finished, else the stage folders there."
    from cali_sketch.checkpoint import last_checkpoint
    meta = json.loads((run/'variant.json').read_text()) if (run/'variant.json').is_file() else None
    paths = meta['stages'] if meta else {s: str(run/s) for s in ('scn', 'isn', 'joint') if (run/s).is_dir()}
    stages = {}
    for s, p in paths.items():
        if (sd := last_checkpoint(p)) is None: continue  # a stage that never saved: nothing of it to report
        stages[s] = dict(steps=sd['step'], minutes=round(sd.get('elapsed', 0.) / 60, 2), config=sd['config'])
    return meta, paths, stages

def export(run, work, out):
    "The generators as fp16 parts OUT/paper.part*, with the facts their model card needs: the first thing to bring back."
    import dataclasses
    from cali_sketch.checkpoint import export_weights
    from cali_sketch.loading import load_generators
    from cali_sketch.pretrained import _load_run  # the model card's training facts, read from the checkpoints here
    run, work, out = Path(run), Path(work), Path(out); out.mkdir(parents=True, exist_ok=True); work.mkdir(parents=True, exist_ok=True)
    _, _, stages = _stages(run)
    g1, g2, info = load_generators(run)
    facts = _load_run(run)[3]
    export_weights({'G1': g1.half(), 'G2': g2.half()}, {'model': dataclasses.asdict(info['config']), 'size': info['size'], 'g2_input': 'R',
                   'name': 'paper-gpu', 'stages': {s: {k: v for k, v in st.items() if k != 'config'} for s, st in stages.items()},
                   'training': facts}, work/'paper.safetensors')
    subprocess.run([sys.executable, str(Path(__file__).parent/'transport.py'), 'pack-export', str(work/'paper.safetensors'), str(out/'paper')], check=True)
    print(f"report: the generators of {', '.join(stages) or 'no stage'} -> {out/'paper'}.part*")

def main(run, work, out, hed=None):
    import torch
    from PIL import Image
    from cali_sketch.core import atomic_write
    from cali_sketch.figures import fig_to_png
    from cali_sketch.evaluate import eval_json
    from cali_sketch.callbacks import plot_losses
    from cali_sketch.reproduce import sample_grid
    run, work, out = Path(run), Path(work), Path(out); out.mkdir(parents=True, exist_ok=True)
    meta, _, stages = _stages(run)
    if meta is None: sys.exit(f"report: {run}/variant.json is missing: the training did not finish (its generators: report.py export)")
    ev = json.loads((work/'eval.json').read_text())
    hed_weights = None
    if hed:  # the header pack-hed wrote: how the weights were rounded
        sys.path.insert(0, str(Path(__file__).parent)); from transport import hed_header
        head = hed_header(hed)[0]; hed_weights = {'file': Path(hed).name, 'round': head.get('round'), 'note': head.get('note', 'lossless')}
    doc = dict(cali_sketch_gpu_report=1, variant=meta['variant'], stages=stages, eval=ev, hed_weights=hed_weights,
               real=json.loads((work/'real'/'stats.json').read_text()), device=torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu',
               torch=torch.__version__, python=sys.version.split()[0], cpus=len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count())  # Linux: the cores this process may use
    with atomic_write(out/'metrics.json', 'w') as f: f.write(eval_json(doc) + '\n')  # per-face lists on one line each
    data = next(iter(ev['runs'].values()))['data']['path']
    with atomic_write(out/'samples.png') as f: f.write(fig_to_png(sample_grid({'paper': run}, data, 0.5, idxs=tuple(range(6)), split=None), dpi=72))
    ims = []
    for s, p in meta['stages'].items():
        try: ims.append(Image.open(io.BytesIO(fig_to_png(plot_losses(Path(p)/'losses.csv'), dpi=60))).convert('RGB'))
        except (OSError, ValueError) as e: print(f"report: no loss curves of {s} ({e})")  # too few steps logged (a dry run)
    if not ims: ims = [Image.new('RGB', (320, 40), 'white')]
    sheet = Image.new('RGB', (max(i.width for i in ims), sum(i.height for i in ims)), 'white'); y = 0
    for i in ims: sheet.paste(i, (0, y)); y += i.height
    sheet.save(out/'losses.png')
    (out/'real.png').write_bytes((work/'real'/'figure.png').read_bytes())
    if not any(out.glob('paper.part*')): export(run, work, out)  # not brought back yet: `report.py export` was not run first
    print(f"report: {', '.join(sorted(p.name for p in out.iterdir()))}")

if __name__ == '__main__':
    if sys.argv[1:2] == ['export'] and len(sys.argv) == 5: export(*sys.argv[2:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] != 'export': main(*sys.argv[1:])
    else: sys.exit(__doc__)
