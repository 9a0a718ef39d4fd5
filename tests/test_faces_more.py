"Synthetic faces, mutation audit: the progress bar's default, writes that fail half-way, the gaze."
import numpy as np
import pytest
from PIL import Image
from cali_sketch import faces
from cali_sketch.faces import make_face_folder, face_params, draw_face

@pytest.fixture
def cheap_faces(monkeypatch):
    "Tiny flat faces: hundreds of files in well under a second."
    monkeypatch.setattr(faces, 'synth_face', lambda seed, size: Image.new('RGB', (16, 16), (seed % 256, 0, 0)))

def test_progress_default_counts_the_faces_still_to_draw(tmp_path, capsys, cheap_faces):
    "progress=None: a bar from 200 faces to draw on, none for 199, and none when most of a big folder is already there."
    make_face_folder(tmp_path/'a', 199, size=(16, 16))
    assert 'faces drawn' not in capsys.readouterr().out
    make_face_folder(tmp_path/'b', 200, size=(16, 16))
    assert 'faces drawn 200/200' in capsys.readouterr().out
    make_face_folder(tmp_path/'a', 300, size=(16, 16))  # 199 there: 101 to draw
    assert 'faces drawn' not in capsys.readouterr().out

def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    "The encoder fails half-way through a file (disk full): no half-written face_00000.jpg is left to be skipped as done."
    def half(self, fp, *a, **k):
        f = open(fp, 'wb') if isinstance(fp, (str, bytes)) or hasattr(fp, '__fspath__') else fp
        f.write(b'\xff\xd8half'); f.flush()
        raise OSError('No space left on device')
    monkeypatch.setattr(Image.Image, 'save', half)
    with pytest.raises(OSError, match='No space'): make_face_folder(tmp_path, 2, size=(32, 40))
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    ps = make_face_folder(tmp_path, 2, size=(32, 40))
    assert all(Image.open(p).size == (32, 40) for p in ps)

def test_gaze_moves_the_irises():
    "Looking right (gaze +2.5): in each eye the white turns dark on the right of the iris and light on its left (the catch-light alone would do the opposite)."
    f = face_params(11); base = np.asarray(draw_face(f).convert('L'), float)
    f.gaze += 2.5
    d = np.asarray(draw_face(f).convert('L'), float) - base
    assert d[:20].max() == 0
    mid = int(round(f.fx))
    for eye in (d[:, :mid], d[:, mid:]):
        darker, lighter = np.nonzero(eye < -30)[1], np.nonzero(eye > 30)[1]
        assert len(darker) > 5 and darker.mean() > lighter.mean() + 2, (darker, lighter)
