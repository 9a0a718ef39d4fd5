"""`cali-sketch infer` as a user runs it on the real freehand sketches: sketches with the same name each get their own
files, and an output that would replace an input, or an --out that is a file, is refused before anything is written."""
import shutil
from pathlib import Path
import pytest
from _cli import run_cli as run
from test_pretrained import assert_P_is_default

ROOT = Path(__file__).resolve().parents[1]
FREEHAND = sorted((ROOT/'tests'/'data'/'freehand').glob('*.png'))

def test_weights_are_in_the_checkout():
    "weights/ is tracked in git: infer without --run needs its index (no skip when it is missing: the checkout is broken)."
    assert (ROOT/'weights'/'index.json').is_file() and len(FREEHAND) >= 2, (ROOT/'weights', FREEHAND)

def test_same_stems_get_their_own_files(tmp_path):
    a, b = tmp_path/'a'/'face.png', tmp_path/'b'/'face.png'
    for f, src in ((a, FREEHAND[0]), (b, FREEHAND[1])): f.parent.mkdir(); shutil.copy(src, f)
    r = run('infer', a, b, '--out', tmp_path/'out', tmp=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path/'out'
    assert sorted(p.name for p in out.iterdir()) == sorted(f'{n}_{k}.png' for n in ('face', 'face-2') for k in 'SRP')
    assert f"{b} -> {out/'face-2_S.png'}, {out/'face-2_R.png'}, {out/'face-2_P.png'}" in r.stdout, r.stdout
    assert (out/'face_S.png').read_bytes() != (out/'face-2_S.png').read_bytes()  # two sketches, two results
    # each file holds its own sketch's result from the default model, not the other's
    assert_P_is_default(out/'face_P.png', FREEHAND[0]); assert_P_is_default(out/'face-2_P.png', FREEHAND[1])

def test_refused_before_anything_is_written(tmp_path):
    d = tmp_path/'d'; d.mkdir(); shutil.copy(FREEHAND[0], d/'x.png'); shutil.copy(FREEHAND[1], d/'x_R.png')
    before = (d/'x_R.png').read_bytes()
    r = run('infer', d/'x.png', d/'x_R.png', '--out', d, tmp=tmp_path)
    assert r.returncode == 2 and f"{d/'x_R.png'} is the input sketch {d/'x_R.png'}" in r.stderr, (r.returncode, r.stderr)
    assert (d/'x_R.png').read_bytes() == before and sorted(p.name for p in d.iterdir()) == ['x.png', 'x_R.png']
    (tmp_path/'afile').write_text('mine')
    r = run('infer', FREEHAND[0], '--out', tmp_path/'afile', tmp=tmp_path)
    assert r.returncode == 2 and f"--out={tmp_path/'afile'}: it is a file, not a folder" in r.stderr, (r.returncode, r.stderr)
    assert 'Traceback' not in r.stderr and (tmp_path/'afile').read_text() == 'mine'
    r = run('infer', FREEHAND[0], '--out', tmp_path/'o', '--size', 0, tmp=tmp_path)
    assert r.returncode == 2 and '--size=0: must be a multiple of 4 from 8 to 1024' in r.stderr, (r.returncode, r.stderr)
    assert not (tmp_path/'o').exists()
