"`cali-sketch reproduce` run again: on a moved results folder, with changed flags, and --steps checked per variant asked for."
import json, shutil, warnings
from pathlib import Path
import pytest
import torch

from cali_sketch.demodata import demo_data
from cali_sketch.reproduce import reproduce_cli

@pytest.fixture(scope='module')
def data(tmp_path_factory): return demo_data(tmp_path_factory.mktemp('faces'), n=12, size=64)

def _run(data, out, *args) -> int:
    "The one-stage baseline, tiny, trained only; later flags override these."
    argv = ['--data', data, '--out', out, '--variants', 'baseline', '--model', 'small', '--backbone', 'random', '--batch-size', 2,
            '--device', 'cpu', '--workers', 0, '--train-only', '--quiet', *args]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); return reproduce_cli([str(a) for a in argv])

def _step(run) -> int: return torch.load(Path(run)/'last.pt', map_location='cpu', weights_only=True)['step']

def test_moved_results_folder_goes_on_where_it_lies(tmp_path, data, capsys):
    "`mv rp2 rp3`, then the same command with --out rp3 --steps 5: the stage goes on in rp3; nothing is made in rp2."
    assert _run(data, tmp_path/'rp2', '--steps', 3) == 0
    shutil.move(tmp_path/'rp2', tmp_path/'rp3')
    assert _run(data, tmp_path/'rp3', '--steps', 5) == 0, capsys.readouterr().err
    assert not (tmp_path/'rp2').exists() and _step(tmp_path/'rp3'/'baseline'/'isn') == 5
    meta = json.loads((tmp_path/'rp3'/'baseline'/'variant.json').read_text())
    assert meta['steps_done'] == {'isn': 5} and meta['stages']['isn'] == str(tmp_path/'rp3'/'baseline'/'isn')
    c = meta['configs']['isn']
    assert (c['out'], c['data'], c['steps'], c['batch_size'], c['size']) == (str(tmp_path/'rp3'/'baseline'/'isn'), str(data), 5, 2, 64)

def test_changed_flags_are_refused_before_anything_trains(tmp_path, data, capsys):
    "A started run asked for another batch size and seed: refused, naming both, before any variant trains; nothing changes."
    out = tmp_path/'t'
    assert _run(data, out, '--steps', 3) == 0
    before = (out/'baseline'/'variant.json').read_text()
    capsys.readouterr()
    assert _run(data, out, '--steps', 5, '--batch-size', 4, '--seed', 1, '--variants', 'full', 'baseline') == 2
    e = capsys.readouterr().err
    assert f"{out/'baseline'/'isn'} was started with batch_size=2, seed=0, not batch_size=4, seed=1" in e and '--out' in e, e
    assert _step(out/'baseline'/'isn') == 3 and (out/'baseline'/'variant.json').read_text() == before
    assert not (out/'full').exists()  # refused before the first variant, not at the second

def test_steps_are_checked_against_the_variants_asked_for(tmp_path, data, capsys):
    "--steps 2 is enough for the one-stage baseline; only with `full` among the variants is it too few."
    assert _run(data, tmp_path/'b', '--steps', 2) == 0, capsys.readouterr().err
    assert _step(tmp_path/'b'/'baseline'/'isn') == 2
    assert _run(data, tmp_path/'f', '--steps', 2, '--variants', 'baseline', 'full') == 2
    assert 'full needs at least 3' in capsys.readouterr().err and not (tmp_path/'f').exists()

def test_demo_size_is_refused_by_flag(tmp_path, capsys):
    "`reproduce --demo N --size 66` is refused before HED runs, naming --size (not RunConfig after preparing)."
    assert reproduce_cli(['--demo', '4', '--size', '66', '--steps', '3', '--variants', 'baseline', '--out', str(tmp_path/'d')]) == 2
    e = capsys.readouterr().err
    assert '--size' in e and 'multiple of 4' in e and not (tmp_path/'d').exists(), e  # nothing made: no faces drawn, none prepared
