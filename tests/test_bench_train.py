"bench/train_throughput.py as a user runs it: a subprocess on CPU with tiny settings; the table and the JSON hold every stage."
import json, math, os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT/'bench'/'train_throughput.py'
TINY = ['--device', 'cpu', '--size', '32', '--batch-size', '2', '--steps', '2', '--warmup', '1', '--model', 'small']

def _run(*args, tmp:Path, timeout=120):
    # an empty torch hub cache (nothing found or downloaded by accident); one thread: no OpenMP spin contention on 2 shared cores
    env = {**os.environ, 'TORCH_HOME': str(tmp/'torch-home'), 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    t = time.perf_counter()
    r = subprocess.run([sys.executable, str(BENCH), *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=tmp, env=env)
    r.wall_s = time.perf_counter() - t  # the process's whole life: every timed step happened inside it
    return r

def _cells(row:str) -> list[str]: return [c.strip() for c in row.strip().strip('|').split('|')]

def _timed_s(m:dict, steps:int) -> float:
    "Seconds a measurement says it spent: its warm-up plus its timed steps."
    return m['warmup_s'] + steps * m['ms_per_step'] / 1000

def test_cpu_table_and_json(tmp_path):
    out = tmp_path/'bench.json'
    # no --compile: torch.compile on CPU costs minutes of C++ compilation on 2 cores
    r = _run(*TINY, '--stages', 'scn', 'isn', 'joint', '--json', out, tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    # the markdown table: a baseline row and a fast row per stage, with positive finite numbers and the speed ratio
    rows = [l for l in r.stdout.splitlines() if re.match(r'\| (scn|isn|joint) \|', l)]
    assert [l.split('|')[1].strip() for l in rows] == ['scn', 'scn', 'isn', 'isn', 'joint', 'joint'], r.stdout
    for l in rows:
        cells = [c.strip() for c in l.strip('|').split('|')]
        ips, ms = float(cells[2]), float(cells[3])
        assert math.isfinite(ips) and ips > 0 and math.isfinite(ms) and ms > 0, l
        assert re.fullmatch(r'\d+(\.\d+)? (MiB|GiB)', cells[4]), l
        assert re.fullmatch(r'\**\d+\.\d\dx\**', cells[5]), l
    assert 'fp32 eager' in rows[0] and 'bf16 autocast + channels_last' in rows[1] and 'torch.compile' not in rows[1]
    # said in the output: what the backbone is, what the memory figure means, and that the goals are GPU goals
    assert 'timing does not depend on weight values' in r.stdout
    assert 'peak memory: CPU' in r.stdout
    assert '2.5x' in r.stdout and '8 GiB' in r.stdout and 'not judged on CPU' in r.stdout
    # the random backbone is announced (once), never a silent substitute
    assert r.stderr.count('FALLBACK') == 1 and 'UNTRAINED' in r.stderr
    # the JSON: the same stages, both configurations, finite positive numbers, finite losses of the real step
    d = json.loads(out.read_text())
    assert d['device'] == 'cpu' and d['size'] == 32 and d['batch_size'] == 2 and d['backbone'] == 'random'
    assert list(d['stages']) == ['scn', 'isn', 'joint']
    assert d['steps'] == 2 and d['warmup'] == 1
    for (s, st), (rb, rf) in zip(d['stages'].items(), zip(rows[::2], rows[1::2])):
        for k, row in (('baseline', rb), ('fast', rf)):
            m, cells = st[k], _cells(row)
            for f in ('images_per_s', 'ms_per_step', 'peak_bytes', 'warmup_s'):
                assert math.isfinite(m[f]) and m[f] > 0, (s, k, f, m[f])
            # the printed row is this measurement: its configuration, speed and step time
            assert cells[:4] == [s, m['config'], f"{m['images_per_s']:.1f}", f"{m['ms_per_step']:.1f}"], (cells, m)
            assert m['losses_finite'] and m['losses'], (s, k, m['losses'])
        # the ratio printed is the JSON's (the baseline row is the 1.00x reference)
        assert _cells(rb)[5] == '1.00x' and _cells(rf)[5] == f"**{st['speedup']:.2f}x**", (rb, rf, st['speedup'])
        assert math.isfinite(st['speedup']) and st['speedup'] > 0
    # every measurement happened inside the subprocess: together they cannot claim more time than it lived
    timed = sum(_timed_s(st[k], d['steps']) for st in d['stages'].values() for k in ('baseline', 'fast'))
    assert timed < r.wall_s, (timed, r.wall_s)
    # every loss of each stage was computed, incl. calibration feature matching and VGG perceptual/style/TV
    j = d['stages']['joint']['fast']['losses']
    for k in ('d1/real', 'd1/fake', 'd2/real', 'd2/fake', 'scn/adv', 'scn/cal_global', 'scn/cal_local',
              'isn/l1', 'isn/adv', 'isn/perc', 'isn/style', 'isn/tv'):
        assert k in j, (k, sorted(j))
    assert d['stages']['isn']['baseline']['losses']['isn/style'] > 0 and d['stages']['scn']['baseline']['losses']['scn/cal_local'] > 0
    assert d['goal']['applies'] is False and 'GPU' in d['goal']['note']

def test_bad_arguments_are_clear(tmp_path):
    r = _run('--device', 'cpu', '--size', '34', tmp=tmp_path, timeout=60)
    assert r.returncode == 2 and '--size 34' in r.stderr and 'multiple of 4' in r.stderr and 'Traceback' not in r.stderr
    r = _run('--device', 'cpu', '--stages', 'gan', tmp=tmp_path, timeout=60)
    assert r.returncode == 2 and "invalid choice: 'gan'" in r.stderr
    r = _run('--device', 'cpu', '--backbone', 'vgg19', '--vgg19-weights', tmp_path/'nope.pth', tmp=tmp_path, timeout=60)
    assert r.returncode == 2 and 'nope.pth' in r.stderr and 'no such file' in r.stderr
    # ImageNet VGG-19 asked for but absent (empty hub cache): the stage's message, no traceback
    r = _run('--device', 'cpu', '--size', '32', '--batch-size', '1', '--model', 'small', '--stages', 'isn', '--backbone', 'vgg19',
             tmp=tmp_path, timeout=60)
    assert r.returncode == 1 and 'VGG-19' in r.stderr and 'hed-vgg16' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    import torch
    if not torch.cuda.is_available():
        r = _run('--device', 'cuda', tmp=tmp_path, timeout=60)
        assert r.returncode == 2 and 'CUDA is not available' in r.stderr

def test_strict_fp32_row(tmp_path):
    "--strict-fp32: a third row per stage timed in IEEE fp32, its own ratio, recorded in the JSON; the goal's baseline is unchanged."
    out = tmp_path/'bench.json'
    r = _run(*TINY, '--stages', 'joint', '--strict-fp32', '--json', out, tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [l for l in r.stdout.splitlines() if l.startswith('| joint |')]
    assert len(rows) == 3 and 'TF32 off' in rows[2] and re.search(r'fast/this \d+\.\d\dx', rows[2]), r.stdout
    d = json.loads(out.read_text()); st = d['stages']['joint']
    assert st['strict']['losses_finite'] and st['strict']['config'] == _cells(rows[2])[1] and 'TF32 off' in st['strict']['config']
    for k, row in zip(('baseline', 'fast', 'strict'), rows):
        m = st[k]
        for f in ('images_per_s', 'ms_per_step', 'warmup_s'): assert math.isfinite(m[f]) and m[f] > 0, (k, f, m[f])
        assert _cells(row)[2:4] == [f"{m['images_per_s']:.1f}", f"{m['ms_per_step']:.1f}"], (k, row, m)
    # the printed ratios are the JSON's: the goal's ratio against the default baseline, the strict row's its own
    assert _cells(rows[1])[5] == f"**{st['speedup']:.2f}x**" and _cells(rows[2])[5] == f"fast/this {st['speedup_strict']:.2f}x", (rows, st)
    assert all(math.isfinite(st[k]) and st[k] > 0 for k in ('speedup', 'speedup_strict'))
    assert sum(_timed_s(st[k], d['steps']) for k in ('baseline', 'fast', 'strict')) < r.wall_s

def test_tf32_switch_is_restored_and_labelled():
    "The baseline's label says what PyTorch's fp32 does on a GPU (TF32 convolutions by default), and the strict switch is undone."
    import importlib.util, torch
    spec = importlib.util.spec_from_file_location('train_throughput', BENCH); tt = importlib.util.module_from_spec(spec); spec.loader.exec_module(tt)
    before = tt.tf32_state()
    try:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False  # PyTorch's defaults
        assert 'TF32 convs on, matmuls off' in tt.baseline_label(torch.device('cuda'))
        try:
            with tt.strict_fp32():
                assert tt.tf32_state() == dict(conv=False, matmul=False)
                assert 'TF32 convs off, matmuls off' in tt.baseline_label(torch.device('cuda'))
                raise KeyboardInterrupt
        except KeyboardInterrupt: pass
        assert tt.tf32_state() == dict(conv=True, matmul=False)
        assert 'TF32' not in tt.baseline_label(torch.device('cpu'))
    finally: torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before['conv'], before['matmul']
