"""The level-conditioned SCN (chapter 45) as a user trains and runs it: `cali-sketch train --level-conditioned`, fine-tuned
from a paper SCN with --scn-init, `reproduce --level-conditioned`, the level in the checkpoint, and `infer --level`
(refused with a sentence by a model without the option)."""
import json
from pathlib import Path
import pytest
import torch

from cali_sketch.demodata import demo_data
from _cli import run_cli as run

FREEHAND = Path(__file__).parent/'data'/'freehand'
SMALL = ['--model', 'small', '--batch-size', '4', '--device', 'cpu', '--quiet', '--log-every', '1']

@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    return demo_data(tmp_path_factory.mktemp('faces'), n=24, size=64)

def test_train_fine_tune_and_infer(tmp_path, prepared):
    r = run('train', '--stage', 'scn', '--data', prepared, '--out', tmp_path/'scn', *SMALL, '--steps', 2, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    # another seed than the paper run's: had --scn-init been ignored, G1 and D1 would start from unrelated random weights
    r = run('train', '--stage', 'scn', '--data', prepared, '--out', tmp_path/'lvl', *SMALL, '--steps', 3, '--level-conditioned',
            '--scn-init', tmp_path/'scn', '--levels', 0.1, 0.9, '--seed', 7, tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    init, tuned = (torch.load(tmp_path/d/'last.pt', map_location='cpu', weights_only=True) for d in ('scn', 'lvl'))
    c = tuned['config']
    assert c['model']['level'] is True and c['levels'] == [0.1, 0.9] and c['scn_init'] == str(tmp_path/'scn')
    # fine-tuned from the paper run: 3 small Adam steps away from its weights (about 4e-4; another seed's start differs by about 0.1)
    for net in ('G1', 'D1'):
        shared = [k for k, v in init['models'][net].items() if v.ndim == 4 and k in tuned['models'][net]]
        d = max((tuned['models'][net][k] - init['models'][net][k]).abs().max().item() for k in shared)
        assert len(shared) >= 3 and 0 < d < 0.01, (net, d)
    r = run('train', '--stage', 'isn', '--data', prepared, '--out', tmp_path/'isn', *SMALL, '--steps', 2, '--backbone', 'random', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    (tmp_path/'both').mkdir(); (tmp_path/'both'/'scn').symlink_to(tmp_path/'lvl'); (tmp_path/'both'/'isn').symlink_to(tmp_path/'isn')
    sketch = next(FREEHAND.glob('*.png'))
    outs = {}
    for lv in ('0', '1'):
        r = run('infer', sketch, '--run', tmp_path/'both', '--out', tmp_path/f'out{lv}', '--level', lv, tmp=tmp_path)
        assert r.returncode == 0, r.stderr
        outs[lv] = (tmp_path/f'out{lv}'/f'{sketch.stem}_R.png').read_bytes()
    assert outs['0'] != outs['1']  # the level reaches the output
    r = run('infer', sketch, '--run', tmp_path/'both', '--out', tmp_path/'bad', '--level', 1.5, tmp=tmp_path)
    assert r.returncode == 2 and 'must be a number in [0, 1]' in r.stderr and 'Traceback' not in r.stderr
    # the paper's model (no level option) refuses --level with a sentence
    (tmp_path/'paper').mkdir(); (tmp_path/'paper'/'scn').symlink_to(tmp_path/'scn'); (tmp_path/'paper'/'isn').symlink_to(tmp_path/'isn')
    r = run('infer', sketch, '--run', tmp_path/'paper', '--out', tmp_path/'p', '--level', 0.3, tmp=tmp_path)
    assert r.returncode == 2 and 'has no calibration level' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not (tmp_path/'p').exists()

def test_reproduce_level_conditioned(tmp_path, prepared):
    r = run('reproduce', '--data', prepared, '--steps', 3, '--variants', 'full', '--out', tmp_path/'t', '--model', 'small',
            '--backbone', 'random', '--batch-size', 4, '--device', 'cpu', '--level-conditioned', '--train-only', '--quiet', tmp=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    for s in ('scn', 'isn', 'joint'):
        assert torch.load(tmp_path/'t'/'full'/s/'last.pt', map_location='cpu', weights_only=True)['config']['model']['level'] is True, s
