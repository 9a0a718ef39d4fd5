"`cali-sketch prepare` as a new user meets it: a messy folder, bad files, interruptions, re-runs, loader workers."
import json, os, subprocess, sys, threading
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from cali_sketch import prepare as prep
from cali_sketch.core import load_image
from cali_sketch.faces import make_face_folder
from cali_sketch.edges import EdgeExtractor, load_contour_detector
from cali_sketch.prepare import prepare, read_manifest, MANIFEST
from cali_sketch.preparecli import prepare_cli
from cali_sketch.data import PreparedFaces

ROOT = Path(__file__).resolve().parents[1]
SIZE = 64
BAD = {  # file -> words its reason must contain
    'empty.jpg': 'empty', 'truncated.jpg': 'truncated', 'notes.jpg': 'not an image', 'dot.png': 'too small',
    'album.jpg': 'directory',
}

@pytest.fixture(scope='module')
def extractor():
    "The standard HED, loaded once for the tests that call `prepare` directly."
    return EdgeExtractor(load_contour_detector())

@pytest.fixture(scope='module')
def faces(tmp_path_factory):
    return make_face_folder(tmp_path_factory.mktemp('faces'), 8, seed=3)

def _messy(dst:Path, faces) -> set[str]:
    "A folder as users have them: good faces in odd formats and bad files among them. Returns the good sources."
    dst.mkdir(parents=True)
    good = set()
    for i, f in enumerate(faces[:4]):
        sub = dst/('nested' if i % 2 else ''); sub.mkdir(exist_ok=True)
        (sub/f'face{i}.JPG').write_bytes(f.read_bytes()); good.add((sub/f'face{i}.JPG').relative_to(dst).as_posix())
    im = Image.open(faces[4]).convert('RGB')
    grey16 = (np.asarray(im.convert('L'), np.uint16) * 257)
    Image.fromarray(grey16).save(dst/'deep16.png')
    assert Image.open(dst/'deep16.png').mode.startswith('I'), 'the 16-bit fixture must really be 16-bit'
    Image.open(faces[5]).convert('RGBA').save(dst/'alpha.png')
    Image.open(faces[6]).convert('CMYK').save(dst/'print.jpg')
    # same stem, two formats: both must survive under different names
    Image.open(faces[7]).save(dst/'twin.jpg'); Image.open(faces[7]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(dst/'twin.png')
    good |= {'deep16.png', 'alpha.png', 'print.jpg', 'twin.jpg', 'twin.png'}
    (dst/'empty.jpg').write_bytes(b'')
    (dst/'truncated.jpg').write_bytes(faces[0].read_bytes()[:400])
    (dst/'notes.jpg').write_text('remember to buy milk')
    Image.new('RGB', (1, 1)).save(dst/'dot.png')
    (dst/'album.jpg').mkdir(); (dst/'readme.txt').write_text('not looked at')
    return good

def _files(out:Path) -> dict:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob('*.png')}

def test_bad_input_gallery(tmp_path, faces, capsys):
    src, out = tmp_path/'photos', tmp_path/'prepared'
    good = _messy(src, faces)
    rc = prepare_cli([str(src), str(out), '--size', str(SIZE), '--quiet'])
    o = capsys.readouterr()
    assert rc == 0, o.err
    m = read_manifest(out)
    assert {s['source'] for s in m['samples']} == good
    assert m['count'] == len(good) == 9 and m['size'] == SIZE and m['contours']['standard']
    names = {s['name'] for s in m['samples']}
    assert {'twin-jpg', 'twin-png'} <= names and 'nested__face1' in names
    for s in m['samples']:  # every sample is two viewable PNGs of the right size
        assert load_image(out/'photos'/f"{s['name']}.png").size == (SIZE, SIZE)
        assert load_image(out/'edges'/f"{s['name']}.png").size == (SIZE, SIZE)
    assert not np.array_equal(np.asarray(Image.open(out/'photos'/'twin-jpg.png')), np.asarray(Image.open(out/'photos'/'twin-png.png')))
    # every bad file is named in the summary with its reason, and recorded in the manifest; no traceback
    assert 'Traceback' not in o.out + o.err
    for name, why in BAD.items():
        line = next((l for l in o.out.splitlines() if name in l), None)
        assert line is not None and why in line, f"{name} not reported with '{why}':\n{o.out}"
    assert {f['source'] for f in m['failures']} == set(BAD)
    assert 'readme.txt' not in o.out  # not an image suffix: not even looked at
    # re-run: nothing rewritten, nothing lost, same report
    before = _files(out)
    assert prepare_cli([str(src), str(out), '--size', str(SIZE), '--quiet']) == 0
    o2 = capsys.readouterr().out
    assert _files(out) == before and 'none new' in o2 and f'{len(good)} already done' in o2
    assert read_manifest(out)['count'] == len(good)
    ds = PreparedFaces(out, size=SIZE)
    assert len(ds) == len(good) and ds[0]['photo'].shape == (3, SIZE, SIZE)

def test_exit_codes(tmp_path, faces, capsys):
    bad = tmp_path/'bad'; bad.mkdir()
    (bad/'empty.jpg').write_bytes(b''); (bad/'notes.jpg').write_text('x')
    assert prepare_cli([str(bad), str(tmp_path/'o1'), '--quiet']) == 1
    e = capsys.readouterr().err
    assert 'no usable image' in e and str(bad) in e
    assert prepare_cli([str(tmp_path/'missing'), str(tmp_path/'o2')]) == 1  # an input missing: 1, as every command (chapter 90)
    assert 'no such folder' in capsys.readouterr().err and not (tmp_path/'o2').exists()
    assert prepare_cli([]) == 2 and prepare_cli(['--help']) == 0  # argparse never exits the caller
    # a folder prepared at another size is refused, by name, unless --overwrite
    src = tmp_path/'src'; src.mkdir()
    for f in faces[:2]: (src/f.name).write_bytes(f.read_bytes())
    assert prepare_cli([str(src), str(tmp_path/'o3'), '--size', '32', '--quiet']) == 0
    capsys.readouterr()
    assert prepare_cli([str(src), str(tmp_path/'o3'), '--size', '48', '--quiet']) == 2
    e = capsys.readouterr().err
    assert 'different recipe' in e and 'size' in e and '--overwrite' in e
    assert prepare_cli([str(src), str(tmp_path/'o3'), '--size', '48', '--quiet', '--overwrite']) == 0
    assert read_manifest(tmp_path/'o3')['size'] == 48
    # a non-empty folder that is not a prepared set is never written into
    other = tmp_path/'mine'; other.mkdir(); (other/'thesis.tex').write_text('precious')
    assert prepare_cli([str(src), str(other), '--quiet']) == 2
    assert sorted(p.name for p in other.iterdir()) == ['thesis.tex']

def test_interrupted_run_resumes(tmp_path, faces, extractor, monkeypatch):
    src, out = tmp_path/'src', tmp_path/'out'; src.mkdir()
    for f in faces: (src/f.name).write_bytes(f.read_bytes())
    real, writes, lock = prep._write_sample, [], threading.Lock()
    def dies_after_3(out_, name, *a):  # writes run in a thread pool: count under a lock
        with lock:
            if len(writes) == 3: raise KeyboardInterrupt('power cut')
            real(out_, name, *a); writes.append(name)
    monkeypatch.setattr(prep, '_write_sample', dies_after_3)
    with pytest.raises(KeyboardInterrupt):
        prepare(src, out, size=SIZE, detector=extractor, batch_size=2, progress=False)
    assert read_manifest(out, complete=False)['status'] == 'in progress'
    with pytest.raises(ValueError, match='interrupted'): PreparedFaces(out)
    assert len(list((out/'edges').glob('*.png'))) == 3
    assert not [p for p in out.rglob('*') if p.name.startswith('.')]  # no temp files left behind
    done = set(writes); writes.clear()
    monkeypatch.setattr(prep, '_write_sample', lambda out_, name, *a: (real(out_, name, *a), writes.append(name)))
    rep = prepare(src, out, size=SIZE, detector=extractor, batch_size=2, progress=False)
    assert rep.resumed == 3 and rep.new == len(faces) - 3 and rep.count == len(faces)
    assert not done & set(writes) and len(writes) == len(faces) - 3  # finished samples were not redone
    assert len(PreparedFaces(out)) == len(faces)

def test_half_written_sample_is_redone(tmp_path, faces, extractor):
    "A photo whose edges file never arrived is not a finished sample."
    src, out = tmp_path/'src', tmp_path/'out'; src.mkdir()
    for f in faces[:3]: (src/f.name).write_bytes(f.read_bytes())
    prepare(src, out, size=SIZE, detector=extractor, progress=False)
    victim = out/'edges'/f'{faces[0].stem}.png'; victim.unlink()
    rep = prepare(src, out, size=SIZE, detector=extractor, progress=False)
    assert rep.new == 1 and rep.resumed == 2 and victim.exists()

def test_cli_as_a_user_runs_it(tmp_path, faces):
    src = tmp_path/'src'; src.mkdir()
    for f in faces[:3]: (src/f.name).write_bytes(f.read_bytes())
    (src/'broken.jpg').write_bytes(b'\xff\xd8\xff')
    cmd = [sys.executable, '-c', 'from cali_sketch.preparecli import prepare_cli; import sys; sys.exit(prepare_cli(sys.argv[1:]))',
           str(src), str(tmp_path/'out'), '--size', str(SIZE)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert '3 usable samples' in r.stdout and 'broken.jpg' in r.stdout and 'Traceback' not in r.stderr
    r = subprocess.run(cmd[:3] + [str(tmp_path/'nothing-here'), str(tmp_path/'o')], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "no such folder" in r.stderr and "Traceback" not in r.stderr

def test_sketches_do_not_depend_on_workers(tmp_path, faces, extractor):
    "Same (seed, index, epoch) -> same S with 0 or 2 persistent workers; set_epoch reaches the workers."
    src = tmp_path/'src'; src.mkdir()
    for f in faces: (src/f.name).write_bytes(f.read_bytes())
    prepare(src, tmp_path/'out', size=SIZE, detector=extractor, progress=False)
    def run(workers):
        ds = PreparedFaces(tmp_path/'out', seed=5)
        dl = DataLoader(ds, batch_size=3, num_workers=workers, persistent_workers=workers > 0, drop_last=True)
        res = {}
        for e in range(2):
            ds.set_epoch(e)
            for b in dl:
                for i, s in zip(b['index'].tolist(), b['sketch']): res[e, i] = s
        return res
    r0, r2 = run(0), run(2)
    assert r0.keys() == r2.keys() and len(r0) == 2 * 6  # drop_last: 8 samples, batches of 3
    for k in r0: assert torch.equal(r0[k], r2[k]), k
    common = {i for e, i in r0 if e == 0} & {i for e, i in r0 if e == 1}
    assert any(not torch.equal(r0[0, i], r0[1, i]) for i in common)  # a fresh sketch each epoch

def test_earlier_preparation_inside_src_is_not_taken_for_faces(tmp_path, faces, capsys):
    "`prepare SRC SRC/p64`, then `prepare SRC SRC/p32`: p64's crops and edge maps are not faces, and the summary says so."
    src = tmp_path/'src'; src.mkdir()
    for f in faces[:3]: (src/f.name).write_bytes(f.read_bytes())
    assert prepare_cli([str(src), str(src/'p64'), '--size', '64', '--quiet']) == 0
    assert prepare_cli([str(src), str(src/'p32'), '--size', '32', '--quiet']) == 0
    o = capsys.readouterr().out
    m = read_manifest(src/'p32')
    assert m['count'] == 3 and {s['source'] for s in m['samples']} == {f.name for f in faces[:3]}, m['samples']
    assert [f['source'] for f in m['failures']] == ['p64'] and 'p64: a prepared folder' in o
    assert prepare_cli([str(src/'p64'), str(tmp_path/'again'), '--quiet']) == 2  # a prepared folder is no SRC
    assert 'prepared.json' in capsys.readouterr().err and not (tmp_path/'again').exists()

def test_other_photos_into_a_prepared_folder_are_refused(tmp_path, faces, capsys):
    "Same file names, other faces: a second SRC into the same OUT is refused by name; nothing is lost, the first still resumes."
    a, b, out = tmp_path/'a', tmp_path/'b', tmp_path/'out'; a.mkdir(); b.mkdir()
    for f, g in zip(faces[:2], faces[2:4]):
        (a/f.name).write_bytes(f.read_bytes()); (b/f.name).write_bytes(g.read_bytes())  # b's face_00000.jpg is another face
    assert prepare_cli([str(a), str(out), '--size', '32', '--quiet']) == 0
    before, photo = _files(out), (out/'photos'/'face_00000.png').read_bytes()
    capsys.readouterr()
    assert prepare_cli([str(b), str(out), '--size', '32', '--quiet']) == 2
    e = capsys.readouterr().err
    assert str(a.resolve()) in e and str(b.resolve()) in e and '--overwrite' in e, e
    assert _files(out) == before and read_manifest(out)['source'] == str(a.resolve())
    assert prepare_cli([str(a), str(out), '--size', '32', '--quiet']) == 0 and _files(out) == before  # the same command resumes
    assert prepare_cli([str(b), str(out), '--size', '32', '--quiet', '--overwrite']) == 0  # asked for: b's faces replace a's
    assert read_manifest(out)['source'] == str(b.resolve()) and (out/'photos'/'face_00000.png').read_bytes() != photo

def test_sizes_training_refuses_are_refused_up_front(tmp_path, faces, capsys):
    "`--size 66` would prepare for hours and then fail in `train`: refused before anything is read or written."
    src = tmp_path/'src'; src.mkdir(); (src/faces[0].name).write_bytes(faces[0].read_bytes())
    for size in ('66', '12', '100000'):  # too large: terabytes of memory, not an out-of-memory kill after minutes
        assert prepare_cli([str(src), str(tmp_path/'o'), '--size', size, '--quiet']) == 2
        e = capsys.readouterr().err
        assert f'size={size} (--size): must be a multiple of 4 from 24 to 1024' in e and 'Traceback' not in e, e
    assert not (tmp_path/'o').exists()

def test_damaged_samples_are_made_again(tmp_path, faces, extractor, capsys):
    "Training names a sample whose PNG is cut and says to re-run prepare: that re-run repairs it, not 'none new'."
    src = tmp_path/'src'; src.mkdir()
    for f in faces[:4]: (src/f.name).write_bytes(f.read_bytes())
    out = tmp_path/'out'; prepare(src, out, SIZE, detector=extractor, progress=False)
    names = sorted(p.stem for p in (out/'photos').glob('*.png'))
    photo, edges = out/'photos'/f'{names[0]}.png', out/'edges'/f'{names[1]}.png'
    good = photo.read_bytes(); photo.write_bytes(good[:200]); edges.write_bytes(b'junk')
    with pytest.raises(ValueError, match=f'{names[0]}.png'): [PreparedFaces(out, cache=False)[i] for i in range(4)]
    rep = prepare(src, out, SIZE, detector=extractor, progress=False)
    assert (rep.new, rep.repaired, rep.resumed, rep.count) == (2, 2, 2, 4), rep
    assert '2 damaged one(s) made again' in rep.summary()
    assert photo.read_bytes() == good  # made again from the same photo: the same crop
    ds = PreparedFaces(out, cache=False); [ds[i] for i in range(len(ds))]  # every sample reads
    assert prepare(src, out, SIZE, detector=extractor, progress=False).repaired == 0
