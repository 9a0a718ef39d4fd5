"Drive every widget through its controls without a browser and check the pictures change as they should."
import io
import numpy as np, pytest, torch
from PIL import Image
pytest.importorskip('ipywidgets')
from cali_sketch.core import torch_save
from cali_sketch.corrupt import toy_face_edges, corrupt_sketch
from cali_sketch.models import ModelConfig, G1, G2
from cali_sketch.pipeline import CaliSketch
from cali_sketch.widgets import corruption_explorer, FaceLibrary
from cali_sketch.viewer import scn_isn_viewer
from cali_sketch.ablation import ablation_viewer
from cali_sketch.sketchpad import sketch_pad

PNG = b'\x89PNG\r\n\x1a\n'

def faces(n=2, size=64):
    out = {}
    for i in range(n):
        gc, ld = toy_face_edges(size, seed=i)
        photo = np.full((size, size, 3), 200, np.uint8); photo[gc | ld] = (90, 40, 30)
        out[f'toy {i}'] = (photo, gc, ld)
    out['no edges'] = (np.full((size, size, 3), 200, np.uint8), np.zeros((size, size), bool), np.zeros((size, size), bool))
    return out

def pixels(png): return np.asarray(Image.open(io.BytesIO(png)))

@pytest.fixture(scope='module')
def pipe(): return CaliSketch.random(ModelConfig.small(), size=64)

# Sliders that legitimately do nothing on the toy faces: `hair` leaves out hair and background strokes, and the toy faces
# have none (every stroke of theirs is outline, brow, eye, nose or mouth); test_explorer_hair_slider shows it acting on a face that has some.
NO_EFFECT_ON_TOY_FACES = {'hair'}

def test_explorer_every_slider_is_live():
    "Each slider, moved to either end of its range from a fresh explorer (so no two moves cancel), recomputes S and changes it."
    names = list(corruption_explorer(faces()).sliders)
    assert NO_EFFECT_ON_TOY_FACES < set(names) and len(names) > 10
    for name in names:
        for end in ('min', 'max'):
            ex = corruption_explorer(faces()); s = ex.sliders[name]
            new = getattr(s, end)
            if new == s.value: continue
            before, S0 = ex.pics['S'].value, ex.S.copy()
            s.value = new  # the slider's own value change must recompute S
            assert getattr(ex.cfg, name) == new
            assert ex.pics['S'].value[:8] == PNG
            if name in NO_EFFECT_ON_TOY_FACES: assert np.array_equal(ex.S, S0), name  # if it starts acting here, drop the exception
            else: assert ex.pics['S'].value != before and not np.array_equal(ex.S, S0), (name, end)
    ex = corruption_explorer(faces())
    e = ex.pics['E_gt'].value
    ex.seed.value = 5; assert ex.pics['E_gt'].value == e  # S moves, the target does not

def test_explorer_hair_slider():
    "On a face with hair and background strokes (short lines above and beside the toy face), `hair` removes them: all at 1, none at 0."
    from dataclasses import replace
    from cali_sketch.humanlike import HumanConfig
    gc, ld = toy_face_edges(64, seed=0); gc = gc.copy()
    for y in range(1, 9, 3): gc[y, 2:20] = gc[y, 44:62] = True    # hair: above the face
    for y in range(56, 63, 3): gc[y, 1:12] = gc[y, 52:63] = True  # background: beside the chin
    photo = np.full((64, 64, 3), 200, np.uint8); photo[gc | ld] = (90, 40, 30)
    out = np.zeros((64, 64), bool); out[:10, :22] = out[:10, 42:] = out[54:, :14] = out[54:, 50:] = True
    cfg = replace(HumanConfig().only('simplified hair'), severity=1.)  # no other mistake moves or drops strokes
    ink = {}
    for v in (0., 1.):
        ex = corruption_explorer({'hairy': (photo, gc, ld)}, cfg=cfg); before = ex.pics['S'].value
        ex.sliders['hair'].value = v
        assert ex.pics['S'].value != before  # the default (0.6) drops some of them, so either end changes S
        ink[v] = int((ex.S[out] > 0.25).sum())
    assert ink[0.] > 100 and ink[1.] < ink[0.] / 3, ink  # what is left at 1: the pen's width around nearby face strokes

def test_explorer_upload_good_and_bad():
    ex = corruption_explorer(FaceLibrary(faces(), size=64, detector=_fake_detector()))
    good = Image.new('RGB', (80, 90), (128, 128, 128)); good.paste((30, 30, 30), (20, 25, 60, 65))  # a dark square on grey
    for name, im, ok in (('one.png', Image.new('RGB', (1, 1)), False), ('square.png', good, True)):
        pic0, S0 = {k: w.value for k, w in ex.pics.items()}, ex.S.copy()
        buf = io.BytesIO(); im.save(buf, format='png')
        ex.upload.value = ({'name': name, 'type': 'image/png', 'size': len(buf.getvalue()), 'content': memoryview(buf.getvalue()),
                            'last_modified': __import__('datetime').datetime(2026, 1, 1)},)
        if ok:
            assert ex.face.value == f'upload: {name}' and ex.error is None
            # the uploaded photo, cropped to a 64 px square: dark centre, grey corners; and its picture shows it
            assert ex.photo.shape == (64, 64, 3) and (abs(ex.photo[32, 32].astype(int) - 30) <= 3).all() and (abs(ex.photo[2, 2].astype(int) - 128) <= 3).all()
            shown = pixels(ex.pics['photo'].value).astype(int)
            assert shown.shape == (64, 64, 3) and np.abs(shown - ex.photo).max() <= 8 and ex.pics['photo'].value != pic0['photo']
            assert ex.pics['S'].value != pic0['S'] and not np.array_equal(ex.S, S0) and (ex.S > 0.25).sum() > 20  # a sketch of the square
        else:
            assert 'too small (1x1' in ex.error and ex.face.value == 'toy 0'
            assert {k: w.value for k, w in ex.pics.items()} == pic0 and np.array_equal(ex.S, S0)  # nothing else moved

def test_explorer_reupload_same_name_is_a_new_face():
    "A second file of the same name replaces the first through the widget's own value (the dropdown's value does not change), one update each."
    ex = corruption_explorer(FaceLibrary(faces(), size=64, detector=_fake_detector()))
    ex.face.value = 'toy 1'; seen = []; ex.listeners.append(lambda e: seen.append((e.face.value, e.photo)))
    for colour in ((40, 40, 40), (230, 230, 230)):
        im = Image.new('RGB', (64, 64), (128, 128, 128)); im.paste(colour, (16, 16, 48, 48))
        buf = io.BytesIO(); im.save(buf, format='png')
        ex.upload.value = ({'name': 'me.png', 'type': 'image/png', 'size': len(buf.getvalue()), 'content': memoryview(buf.getvalue()),
                            'last_modified': __import__('datetime').datetime(2026, 1, 1)},)
    assert [n for n, _ in seen] == ['upload: me.png'] * 2 and (seen[0][1] != seen[1][1]).any()

def _fake_detector():
    "A tiny announced-nothing contour detector (gradient of grey), so the test needs no HED weights."
    from cali_sketch.edges import ContourDetector, GradientContours
    return ContourDetector(GradientContours(), 'fallback-gradient (test)')

def test_viewer_reruns_only_what_changed(pipe):
    v = scn_isn_viewer(pipe, faces())
    c0, p0 = dict(pipe.calls), v.pics['P'].value
    v.sliders['severity'].value = 0.95
    assert pipe.calls == {'g1': c0['g1'] + 1, 'g2': c0['g2'] + 1} and v.pics['P'].value != p0
    r = v.pics['R'].value
    v.calibrate.value = False
    assert pipe.calls['g1'] == c0['g1'] + 1 and v.pics['R'].value == r
    v.calibrate.value = True
    v.face.value = 'no edges'
    assert 'empty sketch' in v.error and pixels(v.pics['P'].value).std() == 0
    v.face.value = 'toy 1'; assert v.error is None

def test_viewer_wrong_config_is_a_message(tmp_path):
    cfg = ModelConfig.small()
    torch_save(dict(config=dict(stage='joint', model=vars(ModelConfig.small(width=8))), models={'G1': G1(ModelConfig.small(width=8)).state_dict(),
               'G2': G2(ModelConfig.small(width=8)).state_dict()}), tmp_path/'run'/'last.pt')
    av = ablation_viewer({'ok': CaliSketch.random(cfg, size=64), 'other': tmp_path/'run'}, [corrupt_sketch(*toy_face_edges(64), rng=0)], cfg=cfg)
    assert 'checkpoint from another config: expected width=16' in av.status.value and list(av.results) == ['ok']

def test_ablation_switches_inputs(pipe):
    ins = [{'sketch': corrupt_sketch(gc, ld, rng=0), 'photo': ph} for ph, gc, ld in list(faces().values())[:2]]
    av = ablation_viewer({'a': pipe, 'b': CaliSketch.random(ModelConfig.small(), size=64, seed=3)}, ins)
    P = lambda n: av.images[n]['P'].value  # the bytes each column's P widget shows
    p = P('a'); av.index.value = 1
    assert P('a') != p and P('a') != P('b') and 'PSNR' in av.scores['b']

def test_sketch_pad_draw_undo_clear(pipe):
    pad = sketch_pad(pipe, canvas_px=128)
    assert pad.error.startswith('the canvas is empty')
    pad.begin(20, 20); pad.extend(100, 30); pad.extend(100, 100); pad.end()  # what the mouse callbacks call
    first = pad.pics['P'].value
    assert pad.error is None and pixels(pad.pics['R'].value).std() > 0
    pad.stroke([(30, 80), (60, 90)])
    assert pad.pics['P'].value != first
    pad.undo_btn.click(); assert pad.pics['P'].value == first
    pad.clear_btn.click(); assert pad.error.startswith('the canvas is empty') and pad.S.sum() == 0

def test_sketch_pad_all_black_start_is_a_message(pipe):
    with pytest.raises(ValueError, match='empty sketch'): sketch_pad(pipe, start=Image.new('L', (64, 64), 0))
