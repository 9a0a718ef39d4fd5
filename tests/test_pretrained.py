"""The weights shipped in `weights/` as a user meets them on a fresh clone: `cali-sketch infer` with no run uses and
names the default, `cali-sketch weights` lists them, every file is what its index says, and they fit the repository."""
import json, hashlib, os
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from _cli import run_cli as run

ROOT = Path(__file__).resolve().parents[1]
W = ROOT/'weights'
FREEHAND = sorted((ROOT/'tests'/'data'/'freehand').glob('*.png'))

def test_weights_are_in_the_checkout():
    "weights/ is tracked in git: a checkout without its index is broken, not a reason to skip."
    assert (W/'index.json').is_file(), f"{W/'index.json'} is missing: the shipped weights are part of the repository"
    assert FREEHAND, "tests/data/freehand holds no sketches"

def default_P(sketch) -> np.ndarray:
    "P of the default shipped model, `CaliSketch.from_pretrained()` run in this process, as the 8-bit image infer saves."
    from cali_sketch.pipeline import CaliSketch
    from cali_sketch.core import to_uint8
    return to_uint8(CaliSketch.from_pretrained()(str(sketch)).P)

def assert_P_is_default(png, sketch):
    "A P written by `cali-sketch infer` is the default model's P of `sketch` (within 1 grey level: thread counts differ), and a picture."
    got, want = np.asarray(Image.open(png)).astype(int), default_P(sketch).astype(int)
    assert got.shape == want.shape, (png, got.shape, want.shape)
    assert np.abs(got - want).max() <= 1, (png, np.abs(got - want).max())
    assert got.std() > 10 and np.ptp(got) > 100, (png, got.std(), np.ptp(got))  # not a constant (or nearly flat) image

def test_index_files_and_cards():
    doc = json.loads((W/'index.json').read_text())
    assert doc['default'] in doc['weights']
    total = sum(p.stat().st_size for p in W.iterdir() if p.is_file())
    assert total <= 25e6, f"weights/ holds {total / 1e6:.1f} MB, more than the 25 MB allowed"
    for n, e in doc['weights'].items():
        f = W/e['file']
        assert hashlib.sha256(f.read_bytes()).hexdigest() == e['sha256'], n
        card = (W/e['card']).read_text()
        assert 'non-commercial research use only' in card and f"from_pretrained('{n}')" in card, n
        d = e.get('diff') or e['fp16_diff']  # the rounding error, measured when shipped
        assert e['dtype'] in ('float16', 'int8') and d['P']['max'] < 0.1, n
        if e.get('figure'): assert (W/e['figure']).exists(), n

def test_infer_without_a_run_uses_the_default(tmp_path):
    r = run('infer', *FREEHAND, '--out', tmp_path/'out', tmp=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    default = json.loads((W/'index.json').read_text())['default']
    assert r.stdout.startswith(f"model: shipped weights '{default}' (the default)"), r.stdout[:300]
    for p in FREEHAND:
        for k in 'SRP': assert (tmp_path/'out'/f'{p.stem}_{k}.png').stat().st_size > 0
        assert_P_is_default(tmp_path/'out'/f'{p.stem}_P.png', p)

def test_weights_lists_them(tmp_path):
    r = run('weights', tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads((W/'index.json').read_text())
    for n in doc['weights']: assert f"| {n} |" in r.stdout, n
    assert f"| * | {doc['default']} |" in r.stdout

def test_a_copy_under_another_name_is_that_name(tmp_path, monkeypatch):
    "A shipped file copied into another weights folder under another name is loaded and announced by that name."
    doc = json.loads((W/'index.json').read_text())
    env = tmp_path/'envw'; env.mkdir()
    (env/'mine.safetensors').write_bytes((W/doc['weights']['small-full']['file']).read_bytes())
    mine = {**doc['weights']['small-full'], 'file': 'mine.safetensors', 'card': None, 'what': 'my copy of small-full'}
    (env/'index.json').write_text(json.dumps({'format': doc['format'], 'default': 'mine', 'weights': {'mine': mine}}))
    monkeypatch.setenv('CALI_SKETCH_WEIGHTS', str(env))
    r = run('infer', FREEHAND[0], '--out', tmp_path/'out', tmp=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("model: shipped weights 'mine' (the default): my copy of small-full"), r.stdout[:300]
