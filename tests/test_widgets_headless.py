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

def test_explorer_every_slider_is_live():
    ex = corruption_explorer(faces())
    for name, s in ex.sliders.items():
        before = ex.pics['S'].value
        new = s.max if s.value != s.max else s.min
        s.value = new  # the slider's own value change must recompute S
        assert getattr(ex.cfg, name) == new
        assert ex.pics['S'].value[:8] == PNG
        if name in ('severity', 'global_warp', 'drop_prob', 'max_width'): assert ex.pics['S'].value != before, name
    e = ex.pics['E_gt'].value
    ex.seed.value = 5; assert ex.pics['E_gt'].value == e  # S moves, the target does not

def test_explorer_upload_good_and_bad():
    ex = corruption_explorer(FaceLibrary(faces(), size=64, detector=_fake_detector()))
    for name, im, ok in (('one.png', Image.new('RGB', (1, 1)), False), ('black.png', Image.new('RGB', (80, 90)), True)):
        buf = io.BytesIO(); im.save(buf, format='png')
        ex.upload.value = ({'name': name, 'type': 'image/png', 'size': len(buf.getvalue()), 'content': memoryview(buf.getvalue()),
                            'last_modified': __import__('datetime').datetime(2026, 1, 1)},)
        if ok: assert ex.face.value == f'upload: {name}'
        else: assert 'too small (1x1' in ex.error

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
