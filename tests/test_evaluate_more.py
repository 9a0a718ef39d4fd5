"Chapter 42 (evaluate) checks that do not fit its notebook: a severity's scores do not depend on batching or on the other severities, the bootstrap seed, fid=True."
import warnings
import pytest, torch
from cali_sketch.demodata import demo_data
from cali_sketch.pipeline import CaliSketch
from cali_sketch import evaluate as E

@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    torch.manual_seed(0)
    return demo_data(tmp_path_factory.mktemp('ev')/'faces', n=8, size=64), E.load_for_eval(CaliSketch.random(size=64))

def _ev(setup, **kw):
    root, m = setup
    args = dict(n=5, split=None, feature_distance='random', fid=False, bootstrap=20, bootstrap_seed=1, progress=False) | kw
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); return E.evaluate_run(m, root, **args)

def _close(a, b):
    "Nested dicts of numbers / lists of numbers equal up to float rounding (batches of another size round differently)."
    if isinstance(a, dict):
        assert a.keys() == b.keys(); [_close(a[k], b[k]) for k in a]
    else: assert a == pytest.approx(b, rel=1e-5, abs=1e-7)

def test_severity_scores_independent_of_batching_and_other_severities(setup):
    "Every face once per severity, whatever the batches; the real photos' features are not counted again at later severities."
    both, alone = _ev(setup, severities=(0.25, 0.75), batch_size=2), _ev(setup, severities=(0.75,), batch_size=16)
    _close(both['per_face']['0.75'], alone['per_face']['0.75'])
    assert len(both['per_face']['0.75']['P']['PSNR']) == len(both['per_face']['0.25']['S']['chamfer']) == 5
    assert 'FD-RandVGG16' in alone['results']['0.75']['P']
    _close(both['results']['0.75'], alone['results']['0.75'])  # FD-RandVGG16 and KD included
    _close(both['bootstrap']['replicates']['0.75'], alone['bootstrap']['replicates']['0.75'])

def test_bootstrap_seed_draws_the_resamples(setup):
    "bootstrap_seed (not the sketch seed) fixes the resamples: recorded, and another one draws other resamples of the same faces."
    one, zero = _ev(setup, severities=(0.5,), bootstrap_seed=1), _ev(setup, severities=(0.5,), bootstrap_seed=0)
    assert (one['bootstrap']['seed'], zero['bootstrap']['seed'], one['protocol']['seed']) == (1, 0, 0)
    assert one['results'] == zero['results'] and one['bootstrap']['replicates'] != zero['bootstrap']['replicates']

def test_fid_true_requires_the_weights(tmp_path, monkeypatch):
    "fid=True means FID is required: no Inception file raises (naming where it looked); 'auto' records its absence; False skips."
    monkeypatch.setenv('TORCH_HOME', str(tmp_path)); monkeypatch.setattr(torch.hub, '_hub_dir', None)  # an empty hub, put back as it was
    with pytest.raises(FileNotFoundError, match='looked at'): E._fid_net(True, 'cpu')
    net, status = E._fid_net('auto', 'cpu')
    assert net is None and status.startswith('not computed: FID Inception weights not found')
    assert E._fid_net(False, 'cpu') == (None, 'not computed (disabled)')
