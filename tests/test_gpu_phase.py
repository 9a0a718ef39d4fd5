"""The one GPU call of issue 13 (`scripts/gpu/session.sh paper`), run here on the CPU with tiny settings: the same script,
the same steps (unpack the carried HED weights and faces, re-trace strokes, train with a time budget in bf16 +
channels_last, evaluate, real sketches, report), so the call on a lent GPU cannot fail on a typo."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import pytest
import torch

from cali_sketch.demodata import demo_data
from cali_sketch.hed import hed_state_dict, HEDWeightsNotFound

ROOT = Path(__file__).resolve().parents[1]
TRANSPORT = ROOT/'scripts'/'gpu'/'transport.py'

def test_paper_phase_dry_run(tmp_path):
    try: hed = hed_state_dict()
    except HEDWeightsNotFound: pytest.skip('no HED weights here (scripts/env.sh installs them)')
    d = tmp_path/'data'
    tr, va = demo_data(tmp_path/'demo-train', n=24, size=64), demo_data(tmp_path/'demo-val', n=8, size=64, seed=1)
    (d/'gpu').mkdir(parents=True)
    torch.save(hed, tmp_path/'hed.pth')
    py = lambda *a: subprocess.run([sys.executable, *map(str, a)], check=True, capture_output=True, text=True)
    full = d/'gpu'/'all.npz'; py(TRANSPORT, 'pack-data', tr, full)  # what `session.sh pack` does, with a budget the 24 faces overrun
    budget = 0.7 * full.stat().st_size / 2**20; full.unlink()
    r = py(TRANSPORT, 'pack-data', tr, d/'gpu'/'train128.npz', '--max-mib', budget)
    kept = int(r.stdout.split()[1]); assert 0 < kept < 24 and (d/'gpu'/'train128.npz').stat().st_size <= budget * 2**20, r.stdout
    py(TRANSPORT, 'pack-data', va, d/'gpu'/'val128.npz', '--quality', 90)
    py(TRANSPORT, 'pack-hed', tmp_path/'hed.pth', d/'gpu'/'hed.xz', '--round', 'bf16')
    for f in (tr, va, tmp_path/'hed.pth'): shutil.rmtree(f) if f.is_dir() else f.unlink()  # the device gets only what is carried
    out, home = tmp_path/'out', tmp_path/'home'
    env = {**os.environ, 'OUT': str(out), 'GPU_DATA': str(d), 'GPU_RUNS': str(tmp_path/'runs'), 'HOME': str(home),
           'TORCH_HOME': str(tmp_path/'torch-home'), 'PATH': f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           'MINUTES': '0.05', 'MODEL': 'small', 'BS': '4', 'DEVICE': 'cpu', 'WORKERS': '0', 'N_EVAL': '8', 'OMP_NUM_THREADS': '2'}
    r = subprocess.run(['bash', str(ROOT/'scripts'/'gpu'/'session.sh'), 'paper'], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    sd = torch.load(home/'.cache'/'cali_sketch'/'hed_bsds500.pth', weights_only=True)  # unpacked from the carry: hed rounded to bf16
    assert sd.keys() == hed.keys() and all(torch.equal(sd[k], v.bfloat16().float()) for k, v in hed.items())
    man = json.loads((d/'celeba_train128'/'prepared.json').read_text())
    assert len(man['samples']) == man['count'] == kept and 'WEBP' in man['transport'], man.get('transport')
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 7 and {'metrics.json', 'samples.png', 'losses.png', 'real.png', 'paper.part0'} <= set(files), files  # + session.log = 8
    m = json.loads((out/'metrics.json').read_text())
    assert set(m['stages']) == {'scn', 'isn', 'joint'}
    for s, st in m['stages'].items():
        assert st['steps'] >= 1 and st['minutes'] > 0 and st['config']['precision'] == 'bf16' and st['config']['channels_last'], s
    assert m['torch'] == torch.__version__ and m['cpus'] >= 1 and m['device'] == 'cpu'
    assert m['hed_weights']['round'] == 'bf16' and 'bf16' in m['hed_weights']['note'], m['hed_weights']  # what FD and the losses used
    ev = next(iter(m['eval']['runs'].values()))
    assert list(ev['results']) == ['0.25', '0.5', '0.75'] and ev['data']['count'] == 8
    assert 'R paper' in m['real']['median'] and len(m['real']['per_sketch']['R paper']) == 5
    subprocess.run([sys.executable, str(TRANSPORT), 'unpack-export', str(out/'paper'), str(tmp_path/'paper.safetensors')], check=True, capture_output=True)
    from cali_sketch.pipeline import CaliSketch
    p = CaliSketch.from_run(tmp_path/'paper.safetensors')
    res = p(next((ROOT/'tests'/'data'/'freehand').glob('*.png')))
    assert p.size == 64 and res.P.shape == (3, 64, 64)
    from cali_sketch.pretrained import ship_weights  # what the next step does with it here: ship it int8, with its card
    e = ship_weights(tmp_path/'paper.safetensors', 'paper-test', tmp_path/'weights', dtype='int8')
    assert e['dtype'] == 'int8' and [f['stage'] for f in e['training']] == ['scn', 'isn', 'joint'], e['training']
    assert all(f['steps'] >= 1 for f in e['training']) and e['diff']['P']['max'] < 0.1, e
    assert 'int8, one scale per channel' in (tmp_path/'weights'/'paper-test.md').read_text()
