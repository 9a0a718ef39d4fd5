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
GPU = ROOT/'scripts'/'gpu'
TRANSPORT = GPU/'transport.py'

def device_env(*wheel_lists:str) -> dict:
    "Environment variables that make Python here see only what the GPU image has plus the named carried wheel lists."
    return {'PYTHONPATH': str(GPU/'device_sim'),
            'CALI_DEVICE_SIM': os.pathsep.join(str(GPU/f) for f in ('device_image.txt', *(f'wheels-{w}.txt' for w in wheel_lists))),
            'PATH': f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

def test_device_simulation_hides_what_the_image_lacks(tmp_path):
    "The simulation is real: with the paper wheels only, ipywidgets and nbdev are refused; the bench wheels bring ipywidgets back."
    run = lambda code, *w: subprocess.run([sys.executable, '-c', code], env={**os.environ, **device_env(*w)}, capture_output=True, text=True, cwd=tmp_path)
    for mod in ('ipywidgets', 'nbdev', 'IPython'):
        r = run(f'import {mod}', 'paper')
        assert r.returncode == 1 and f"No module named '{mod}' (device simulation" in r.stderr, r.stderr
    assert run('import fastcore, torch, numpy, PIL, cali_sketch.pipeline', 'paper').returncode == 0
    r = run('import ipywidgets, cali_sketch.viewer', 'paper', 'bench'); assert r.returncode == 0, r.stderr
    env = {k: v for k, v in {**os.environ, **device_env()}.items() if k != 'CALI_DEVICE_SIM'}  # on PYTHONPATH but not switched on
    assert subprocess.run([sys.executable, '-c', 'import ipywidgets'], env=env, cwd=tmp_path).returncode == 0

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
    py(TRANSPORT, 'pack-hed', tmp_path/'hed.pth', d/'gpu'/'hed.xz', '--round', 'int8')  # as `session.sh pack` packs it
    for f in (tr, va, tmp_path/'hed.pth'): shutil.rmtree(f) if f.is_dir() else f.unlink()  # the device gets only what is carried
    out, home = tmp_path/'out', tmp_path/'home'
    env = {**os.environ, **device_env('paper'), 'OUT': str(out), 'GPU_DATA': str(d), 'GPU_RUNS': str(tmp_path/'runs'), 'HOME': str(home),
           'TORCH_HOME': str(tmp_path/'torch-home'),
           'MINUTES': '0.05', 'MODEL': 'small', 'BS': '4', 'DEVICE': 'cpu', 'WORKERS': '2', 'N_EVAL': '8', 'OMP_NUM_THREADS': '2'}
    r = subprocess.run(['bash', str(GPU/'session.sh'), 'paper'], env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    sd = torch.load(home/'.cache'/'cali_sketch'/'hed_bsds500.pth', weights_only=True)  # unpacked from the carry: hed rounded to int8
    sys.path.insert(0, str(GPU)); from transport import ROUNDERS
    assert sd.keys() == hed.keys() and all(torch.equal(sd[k], ROUNDERS['int8'](v)) for k, v in hed.items())
    assert all(len(torch.unique(sd[k][0])) <= 255 for k in sd if sd[k].ndim == 4) and any(not torch.equal(sd[k], hed[k]) for k in sd)
    man = json.loads((d/'celeba_train128'/'prepared.json').read_text())
    assert len(man['samples']) == man['count'] == kept and 'WEBP' in man['transport'], man.get('transport')
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 7 and {'metrics.json', 'samples.png', 'losses.png', 'real.png', 'paper.part0'} <= set(files), files  # + session.log = 8
    m = json.loads((out/'metrics.json').read_text())
    assert set(m['stages']) == {'scn', 'isn', 'joint'}
    for s, st in m['stages'].items():
        assert st['steps'] >= 1 and st['minutes'] > 0 and st['config']['precision'] == 'bf16' and st['config']['channels_last'], s
    assert m['torch'] == torch.__version__ and m['cpus'] >= 1 and m['device'] == 'cpu'
    assert m['hed_weights']['round'] == 'int8' and 'int8' in m['hed_weights']['note'], m['hed_weights']  # what FD and the losses used
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

def _bench(tmp_path, env_extra:dict, args:str=''):
    env = {**os.environ, 'OUT': str(tmp_path/'out'), 'HOME': str(tmp_path/'home'), 'TORCH_HOME': str(tmp_path/'torch-home'),
           'DEVICE': 'cpu', 'LAT_SIZES': '64', 'LAT_REPEATS': '2', 'OMP_NUM_THREADS': '2',
           'BENCH_ARGS': '--device cpu --size 32 --batch-size 2 --steps 1 --warmup 0 --model small --stages joint --strict-fp32' + args, **env_extra}
    return subprocess.run(['bash', str(GPU/'session.sh'), 'bench'], env=env, capture_output=True, text=True, timeout=600)

def _bench_outputs_ok(out:Path):
    d = json.loads((out/'bench256.json').read_text())
    assert d['device'] == 'cpu' and list(d['stages']) == ['joint'] and 'strict' in d['stages']['joint']
    lat = (out/'latency.txt').read_text()
    assert [l.split()[:3] for l in lat.splitlines() if l.startswith('cpu ')] == [['cpu', 'paper', '64'], ['cpu', 'small', '64']], lat

def test_bench_phase_dry_run(tmp_path):
    "`session.sh bench`, the short second call, on the CPU with tiny settings: the image's packages plus the two carried wheel lists."
    r = _bench(tmp_path, device_env('paper', 'bench'))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    _bench_outputs_ok(tmp_path/'out')
    shutil.rmtree(tmp_path/'out')  # nothing left from the run above: the latency table below must come from this run
    r = _bench(tmp_path, device_env('paper', 'bench'), ' --size 34')  # a failing benchmark fails the phase, after the other one ran
    assert r.returncode == 1 and 'multiple of 4' in r.stdout and 'cpu    small' in (tmp_path/'out'/'latency.txt').read_text(), r.stdout[-2000:]

WHEELS = [w for d in ('.whl', '.whlb') for w in sorted((ROOT/d).glob('*/*.whl'))]

@pytest.mark.skipif(not WHEELS, reason="no carried wheels in .whl/ and .whlb/ (bash scripts/gpu/session.sh pack makes them)")
def test_bench_phase_installs_the_carried_wheels(tmp_path):
    "Where `pack` has made the wheels: the image alone, so the phase takes its device branch and installs them, as it will there."
    site = tmp_path/'site'
    r = _bench(tmp_path, {**device_env(), 'CALI_DEVICE_SITE': str(site), 'GPU_SITE': str(site)})
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert (site/'ipywidgets').is_dir() and (site/'fastcore').is_dir()
    _bench_outputs_ok(tmp_path/'out')
