"""Chapter 31 (pretrained) beyond its notebook, which is at its length limit: the rounding error a card reports is the
shipped file's, `cali-sketch weights` shows the numbers its header names, and an ISN trained on SCN output keeps the SCN's training facts."""
from dataclasses import asdict
import pytest
from cali_sketch.core import torch_save, seed_everything
from cali_sketch.models import ModelConfig, G1, G2
from cali_sketch.pipeline import CaliSketch
from cali_sketch.pretrained import ship_weights, load_pretrained, probe_sketches, weights_cli, _stage_facts, WEIGHTS_ENV

@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "Untrained small runs at 32 px: an SCN, a joint run from it, and ISNs trained on a mix of S and R, or on S alone."
    d = tmp_path_factory.mktemp('runs'); cfg = ModelConfig.small(); seed_everything(0); g1, g2 = G1(cfg), G2(cfg)
    ck = lambda stage, models, **c: dict(step=7, elapsed=60., config=dict(stage=stage, size=32, model=asdict(cfg), **c),
                                         models={k: m.state_dict() for k, m in models.items()})
    torch_save(ck('scn', {'G1': g1}), d/'scn'/'last.pt')
    torch_save(ck('joint', {'G1': g1, 'G2': g2}, scn_ckpt=str(d/'scn')), d/'two'/'joint'/'last.pt')
    for i in ('mix', 'sketch'): torch_save(ck('isn', {'G2': g2}, isn_input=i, scn_ckpt=str(d/'scn')), d/i/'last.pt')
    return d, g1, g2

@pytest.mark.parametrize('dtype', ['float16', 'int8'])
def test_diff_is_the_shipped_files(runs, tmp_path, monkeypatch, dtype):
    "The card's diff is between the run's networks and what loading the shipped file gives, on the probe sketches (so never 0)."
    d, g1, g2 = runs
    e = ship_weights(d/'two', 'm', tmp_path, dtype=dtype)
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path))
    S = probe_sketches(32); a, b = CaliSketch(g1, g2, 32), load_pretrained(CaliSketch, 'm')
    Ra, Rb = a.refine(S), b.refine(S)
    want = {'R': float((Ra - Rb).abs().max()), 'P': float((a.synthesise(Ra) - b.synthesise(Rb)).abs().max())}
    for k, v in want.items(): assert 0 < e['diff'][k]['max'] and abs(e['diff'][k]['max'] - v) < 1e-6, (k, e['diff'], want)

def test_weights_table_shows_its_columns(runs, tmp_path, monkeypatch, capsys):
    "`cali-sketch weights`: R's edge F1 and P's PSNR at severity 0.5, as the header says (not 0.25's, not R's PSNR)."
    res = lambda f1, psnr: {'P': {'PSNR': psnr}, 'R': {'edge-F1@2px': f1, 'PSNR': psnr - 7}, 'S': {'edge-F1@2px': f1 + .01}}
    ev = {'data': {'path': '/x/val', 'split': 'all', 'count': 3, 'size': 32}, 'results': {'0.25': res(.926, 10.8), '0.5': res(.764, 10.65)}}
    ship_weights(runs[0]/'two', 'm', tmp_path, evaluation=ev)
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path)); capsys.readouterr()
    assert weights_cli([]) == 0
    assert '| 0.764 | 10.65 |' in capsys.readouterr().out

def test_isn_on_scn_output_keeps_the_scns_facts(runs):
    "An ISN trained on a mix of S and R (isn_input='mix') used the SCN: its card's training lists it first; one trained on S alone does not."
    d = runs[0]
    assert [f['stage'] for f in _stage_facts(d/'mix'/'last.pt')] == ['scn', 'isn']
    assert [f['stage'] for f in _stage_facts(d/'sketch'/'last.pt')] == ['isn']

def test_a_default_the_index_lacks_is_replaced(runs, tmp_path):
    "An index whose default names no model it holds (edited by hand) gets the next shipped model as its default; a real default stays."
    import json
    ship_weights(runs[0]/'two', 'a', tmp_path)
    doc = json.loads((tmp_path/'index.json').read_text()); doc['default'] = 'gone'
    (tmp_path/'index.json').write_text(json.dumps(doc))
    ship_weights(runs[0]/'two', 'b', tmp_path)
    assert json.loads((tmp_path/'index.json').read_text())['default'] == 'b'
    ship_weights(runs[0]/'two', 'c', tmp_path)
    assert json.loads((tmp_path/'index.json').read_text())['default'] == 'b'
