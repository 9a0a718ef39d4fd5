"`cali-sketch train` / `cali-sketch demo` as a user runs them: a subprocess, killed and resumed, bad input, the demo page."
import csv, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
import torch

from cali_sketch.demodata import demo_data
from _cli import cli_cmd as _cmd, cli_env as _env, run_cli as run

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    return demo_data(tmp_path_factory.mktemp('faces'), n=24, size=64)

SMALL = ['--model', 'small', '--batch-size', '4', '--device', 'cpu', '--quiet', '--log-every', '1']

def _steps(run_dir:Path) -> list[int]:
    "Steps logged in losses.csv (complete rows only: the file may be being appended to)."
    if not (run_dir/'losses.csv').exists(): return []
    with open(run_dir/'losses.csv', newline='') as f: rows = list(csv.reader(f))
    return [int(r[0]) for r in rows[1:] if rows and len(r) == len(rows[0]) and r[0].isdigit()]

def test_missing_data_is_a_clear_error(tmp_path):
    r = run('train', '--stage', 'scn', '--data', tmp_path/'no-such-folder', '--out', tmp_path/'run', tmp=tmp_path)
    assert r.returncode == 1, r.stderr
    assert 'no-such-folder' in r.stderr and 'cali-sketch prepare' in r.stderr
    assert 'Traceback' not in r.stderr
    assert not (tmp_path/'run').exists()

def test_wrong_stage_and_missing_init(tmp_path, prepared):
    r = run('train', '--stage', 'gan', '--data', prepared, tmp=tmp_path)
    assert r.returncode == 2 and "invalid choice: 'gan'" in r.stderr
    r = run('train', '--stage', 'joint', '--data', prepared, '--out', tmp_path/'j', *SMALL, tmp=tmp_path)
    assert r.returncode == 1 and '--scn-ckpt' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    # no ImageNet VGG-19 weights: an error saying how to get them or choose the substitute, never a silent swap
    r = run('train', '--stage', 'isn', '--data', prepared, '--out', tmp_path/'i', *SMALL, tmp=tmp_path)
    assert r.returncode == 1 and 'VGG-19' in r.stderr and '--backbone hed-vgg16' in r.stderr, r.stderr
    assert not (tmp_path/'i'/'last.pt').exists()

def test_kill_and_resume(tmp_path, prepared):
    out = tmp_path/'scn'
    args = ['--stage', 'scn', '--data', prepared, '--out', out, *SMALL, '--ckpt-every', '3']
    p = subprocess.Popen([*_cmd('train'), *map(str, args + ['--steps', '100000'])], cwd=tmp_path, env=_env(tmp_path),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # generous bounds (a busy 2-core CI machine): 180 s for the start (process, torch import, data) up to the first logged step,
        # then 120 s for the checkpoint and the steps beyond it
        t0, first = time.time(), None
        while not ((out/'last.pt').exists() and len(_steps(out)) >= 5):  # a checkpoint, and logged steps beyond it
            assert p.poll() is None, p.stderr.read().decode()
            if first is None and _steps(out): first = time.time()
            assert first is not None or time.time() - t0 < 180, 'no step logged 180 s after the start'
            assert first is None or time.time() - first < 120, 'no checkpoint and 5 logged steps 120 s after the first step'
            time.sleep(0.2)
    finally:
        p.send_signal(signal.SIGKILL); p.wait()
    logged = _steps(out)
    kept = {f.name: f.read_bytes() for f in out.iterdir() if f.is_file()}  # the checkpoints and logs the kill left
    # starting again without --resume must not wipe the run
    r = run('train', *args, '--steps', '20', tmp=tmp_path)
    assert r.returncode == 1 and '--resume' in r.stderr, r.stderr
    assert _steps(out) == logged and {f.name: f.read_bytes() for f in out.iterdir() if f.is_file()} == kept and 'last.pt' in kept
    # resume: the config comes from the checkpoint (no --data needed), --steps extends it
    r = run('train', '--stage', 'scn', '--out', out, '--resume', '--steps', str(max(logged) + 4), '--quiet', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    steps = _steps(out)
    assert steps == list(range(1, max(logged) + 5)), steps  # continues, no duplicated or missing steps
    assert (out/'losses.png').exists()

def test_demo_quick_writes_results_page(tmp_path):
    r = run('demo', '--quick', '--out', tmp_path/'demo', '--quiet', tmp=tmp_path, timeout=150)
    assert r.returncode == 0, r.stderr[-3000:]
    page = (tmp_path/'demo'/'index.html').read_text()
    for s in ('grid.png', 'losses_scn.png', 'losses_isn.png', 'losses_joint.png', 'Synthetic faces', 'Small model', 'backbone', 'Tiny budget'):
        assert s in page, s
    for f in ('grid.png', 'losses_scn.png', 'losses_isn.png', 'losses_joint.png'):
        assert (tmp_path/'demo'/f).read_bytes()[:4] == b'\x89PNG', f
    assert 'FALLBACK' in r.stderr  # the substitute backbone is announced
    # re-running skips the finished stages and rewrites the page
    r = run('demo', '--quick', '--out', tmp_path/'demo', '--quiet', tmp=tmp_path)
    assert r.returncode == 0 and r.stdout.count('skipped') == 3, r.stdout
    # moved (`mv demo demo2`, relative paths) and re-run with a step more: the SCN would train on under the ISN and joint
    # runs built on it, which is refused naming what to delete; with those deleted the runs go on from their new place
    (tmp_path/'demo').rename(tmp_path/'demo2')
    r = run('demo', '--quick', '--out', 'demo2', '--steps', '4', '--quiet', tmp=tmp_path, timeout=150)
    assert r.returncode == 2 and 'delete demo2/joint' in r.stderr and 'delete demo2/isn' in r.stderr, r.stderr[-3000:]
    for k in ('isn', 'joint'): shutil.rmtree(tmp_path/'demo2'/k)
    r = run('demo', '--quick', '--out', 'demo2', '--steps', '4', '--quiet', tmp=tmp_path, timeout=150)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [torch.load(tmp_path/'demo2'/k/'last.pt', map_location='cpu', weights_only=True)['step'] for k in ('scn', 'isn', 'joint')] == [4, 4, 4]

def test_loss_weight_flags(tmp_path, prepared):
    "--scn-loss / --isn-loss: merged into the weights; an unknown key or a bad number is a usage error (exit 2) that lists the keys."
    r = run('train', '--stage', 'scn', '--data', prepared, '--out', tmp_path/'s', *SMALL, '--scn-loss', 'calibration=0', tmp=tmp_path)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    for s in ('--scn-loss', "'calibration'", 'adv, cal_global, cal_local'): assert s in r.stderr, (s, r.stderr)
    r = run('train', '--stage', 'isn', '--data', prepared, '--out', tmp_path/'i', *SMALL, '--isn-loss', 'style=lots', tmp=tmp_path)
    assert r.returncode == 2 and '--isn-loss' in r.stderr and 'not a number' in r.stderr, r.stderr
    assert not (tmp_path/'s').exists() and not (tmp_path/'i').exists()
    # a run trained without calibration keeps its weights in the checkpoint; resuming with another flag merges into them
    r = run('train', '--stage', 'scn', '--data', prepared, '--out', tmp_path/'nc', *SMALL, '--steps', '2', '--scn-loss', 'cal_global=0,cal_local=0', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    import torch
    w = torch.load(tmp_path/'nc'/'last.pt', map_location='cpu', weights_only=True)['config']['scn_loss']
    assert (w['adv'], w['cal_global'], w['cal_local']) == (1.0, 0.0, 0.0), w
    r = run('train', '--stage', 'scn', '--out', tmp_path/'nc', '--resume', '--steps', '3', '--scn-loss', 'adv=0.5', '--quiet', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    w = torch.load(tmp_path/'nc'/'last.pt', map_location='cpu', weights_only=True)['config']['scn_loss']
    assert (w['adv'], w['cal_global'], w['cal_local']) == (0.5, 0.0, 0.0), w

def test_time_budget(tmp_path, prepared):
    "--minutes without --steps: the run ends by the clock with its checkpoint and curves; on resume a spent budget trains nothing."
    out = tmp_path/'scn'
    r = run('train', '--stage', 'scn', '--data', prepared, '--out', out, *SMALL, '--minutes', 0.02, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    sd = torch.load(out/'last.pt', map_location='cpu', weights_only=True)
    assert sd['elapsed'] >= 1.2 and sd['config']['minutes'] == 0.02 and sd['step'] >= 1
    assert _steps(out)[-1] == sd['step'] and (out/'losses.png').exists()
    r = run('train', '--stage', 'scn', '--out', out, '--resume', '--quiet', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    assert torch.load(out/'last.pt', map_location='cpu', weights_only=True)['step'] == sd['step']
    assert 'time budget of 0.02 min already spent' in r.stdout and 'pass --minutes M' in r.stdout, r.stdout  # not the success line


def test_resume_from_another_folder_and_moved_data(tmp_path, prepared):
    "A run started with a relative --data resumes from any working folder; data moved since is a sentence asking for --data."
    shutil.copytree(prepared, tmp_path/'faces')
    r = run('train', '--stage', 'scn', '--data', 'faces', '--out', 'run', *SMALL, '--steps', '1', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    (tmp_path/'elsewhere').mkdir()
    r = run('train', '--stage', 'scn', '--out', tmp_path/'run', '--resume', '--steps', '2', '--quiet', tmp=tmp_path/'elsewhere')
    assert r.returncode == 0 and 'step 2' in r.stdout, r.stderr
    (tmp_path/'faces').rename(tmp_path/'faces2')
    r = run('train', '--stage', 'scn', '--out', 'run', '--resume', '--steps', '3', '--quiet', tmp=tmp_path)
    assert r.returncode == 1 and 'pass --data PREPARED' in r.stderr and 'cali-sketch prepare' not in r.stderr, r.stderr
    r = run('train', '--stage', 'scn', '--out', 'run', '--resume', '--data', 'faces2', '--steps', '3', '--quiet', tmp=tmp_path)
    assert r.returncode == 0 and 'step 3' in r.stdout, r.stderr
