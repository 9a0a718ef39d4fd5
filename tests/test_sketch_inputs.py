"Real sketches through `cali-sketch infer` as a user runs it: one normalisation for every kind of drawing file, and bad inputs refused with a sentence."
from dataclasses import asdict
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from cali_sketch.core import seed_everything, torch_save
from cali_sketch.models import ModelConfig, G1, G2
from cali_sketch.metrics import chamfer
from cali_sketch.pen import sketch_stats
from _cli import run_cli

FREEHAND = Path(__file__).parent/'data'/'freehand'

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    "An untrained small model saved as a joint run at 128 px (the plumbing, not the painting, is under test)."
    d = tmp_path_factory.mktemp('run'); seed_everything(0); cfg = ModelConfig.small()
    torch_save(dict(config=dict(stage='joint', size=128, model=asdict(cfg)), models={'G1': G1(cfg).state_dict(), 'G2': G2(cfg).state_dict()}),
               d/'joint'/'last.pt')
    return d

def _ink(p): return 1 - np.asarray(Image.open(p).convert('L'), np.float32) / 255

def test_one_drawing_three_files_same_strokes(tmp_path, run):
    "A 512 px black-on-white drawing, its white-on-black negative and a transparent PNG with white strokes give the same S."
    src = Image.open(FREEHAND/'deepps_syn_1.png').convert('L').resize((512, 512), Image.Resampling.LANCZOS)
    ink = 255 - np.asarray(src)
    Image.fromarray(255 - ink).save(tmp_path/'black_on_white.png')
    Image.fromarray(ink).save(tmp_path/'white_on_black.png')
    rgba = np.zeros((512, 512, 4), np.uint8); rgba[..., :3] = 255; rgba[..., 3] = ink   # dark-mode app export
    Image.fromarray(rgba, 'RGBA').save(tmp_path/'transparent.png')
    names = ['black_on_white', 'white_on_black', 'transparent']
    r = run_cli('infer', run, *[tmp_path/f'{n}.png' for n in names], '--out', tmp_path/'out', tmp=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    S = {n: _ink(tmp_path/'out'/f'{n}_S.png') for n in names}
    for n in names[1:]: assert chamfer(S[n], S[names[0]]) < 0.25, (n, chamfer(S[n], S[names[0]]))
    assert S['transparent'].sum() > 100  # not "empty sketch"
    st = sketch_stats(S[names[0]])
    assert st['pieces/100px'] < 2.5 and st['specks %'] < 1, st   # strokes stay whole after normalisation
    for n in names: assert Image.open(tmp_path/'out'/f'{n}_P.png').size == (128, 128)

def test_thin_large_drawing_reaches_the_network_as_strokes(tmp_path, run):
    "A 1024 px drawing with 1 px lines is not fed as faint grey: S has strokes as dark as the training pen's."
    src = Image.open(FREEHAND/'deepps_syn_5.png').convert('L').resize((1024, 1024), Image.Resampling.NEAREST)
    a = np.asarray(src).copy(); a[a < 128] = 0; a[a >= 128] = 255
    thin = np.full_like(a, 255); thin[::1, :][(a == 0)] = 0
    Image.fromarray(thin).save(tmp_path/'big.png')
    r = run_cli('infer', run, tmp_path/'big.png', '--out', tmp_path/'out', tmp=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    S = _ink(tmp_path/'out'/'big_S.png')
    assert S.max() > 0.95 and (S > 0.5).sum() > 300

@pytest.mark.parametrize('name,make,msg', [
    ('blank', lambda: Image.new('L', (256, 256), 255), 'empty sketch'),
    ('black', lambda: Image.new('L', (256, 256), 0), 'empty sketch'),
    ('pixel', lambda: (lambda im: (im.putpixel((100, 100), 0), im)[1])(Image.new('L', (256, 256), 255)), 'empty sketch'),
    ('dot', lambda: (lambda im: (im.paste(0, (100, 100, 103, 103)), im)[1])(Image.new('L', (256, 256), 255)), 'no strokes left after normalisation'),
    ('tiny', lambda: Image.new('L', (3, 3), 0), 'too small'),
    ('huge', lambda: Image.new('L', (15000, 15000), 255), 'too large to decode safely'),
])
def test_bad_inputs_are_a_sentence(tmp_path, run, name, make, msg):
    "Each bad sketch is reported by name with its reason (exit 1), never with a traceback."
    make().save(tmp_path/f'{name}.png')
    r = run_cli('infer', run, tmp_path/f'{name}.png', '--out', tmp_path/'out', tmp=tmp_path, timeout=120)
    assert r.returncode == 1 and 'Traceback' not in r.stderr, r.stderr
    assert f'{name}.png' in r.stderr and msg in r.stderr, r.stderr

def _results_script(name:str, out) -> tuple[dict, str]:
    "Run scripts/NAME.py into `out` as its results folder was made; its metrics.json and what it printed."
    import json, subprocess, sys
    r = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[1]/'scripts'/f'{name}.py'), '--out', str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out/'figure.png').stat().st_size > 10_000 and (out/'metrics.md').read_text() in r.stdout + '\n'
    return json.loads((out/'metrics.json').read_text()), r.stdout

def test_small_drawing_results_script(tmp_path):
    "scripts/small_drawing_results.py: a face drawn small on its page is enlarged, and its P comes close to the P as drawn."
    m, out = _results_script('small_drawing_results', tmp_path)
    assert len(m['per_sketch']) == 2 * len(list(FREEHAND.glob('*.png'))) and '| 2x |' in out
    for s in m['per_sketch']:
        assert s['box S before'] < 0.55 and abs(s['box S now'] - 0.92) < 0.02, s  # the page's scale, then enlarged
        assert s['P now - P as drawn'] < 0.5 * s['P before - P as drawn'] and s['chamfer S now'] < s['chamfer S before'] / 2, s

def test_photo_results_script(tmp_path):
    "scripts/photo_results.py: photos of the drawings on a desk and close up give nearly the scans' S and P, unwarned."
    m, out = _results_script('photo_results', tmp_path)
    assert len(m['per_photo']) == 2 * len(list(FREEHAND.glob('*.png'))) and '| close-up |' in out
    for p in m['per_photo']:
        assert p['chamfer S now'] < 2 < 3.5 < p['chamfer S whole picture'], p  # the page's edges traced, or left out
        assert p['P now - P of scan'] < 0.7 * p['P whole picture - P of scan'] and not p['warned now'] and p['line_share now'] > 0.95, p
    assert m['warned now'] == {'desk': 0, 'close-up': 0}

def test_ruled_results_script(tmp_path):
    "scripts/ruled_results.py: pencil on ruled paper, flat, on a desk and close up: the rules are taken away, said, and P comes close to the P without them."
    m, out = _results_script('ruled_results', tmp_path)
    assert len(m['per_page']) == 3 * len(list(FREEHAND.glob('*.png'))) and '| close-up |' in out
    for p in m['per_page']:
        assert 'rules taken away' in p['notes'] and p['chamfer S rules traced'] > 2, p  # behind bars when traced
        assert p['chamfer S now'] < (0.2 if p['page'] == 'flat' else 1 if p['page'] == 'desk' else 2.5), p
        assert p['P now - P without rules'] < 0.7 * p['P rules traced - P without rules'], p
