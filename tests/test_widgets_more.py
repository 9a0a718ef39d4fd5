"Chapter 32's pictures and explorer, headless: what the notebook's own cells leave open (found by mutation testing)."
import io
import numpy as np, pytest, torch
from PIL import Image
pytest.importorskip('ipywidgets')
from cali_sketch.corrupt import CorruptConfig
from cali_sketch.faces import synth_face
from cali_sketch.widgets import png_bytes, FaceLibrary, corruption_explorer, toy_faces

def pixels(png): return np.asarray(Image.open(io.BytesIO(png)))

def test_a_2d_tensor_is_a_sketch():
    "An (H,W) tensor, like a (1,H,W) one, is a sketch: strokes black on white paper."
    assert pixels(png_bytes(torch.ones(4, 4))).max() == 0 and pixels(png_bytes(torch.zeros(4, 4))).min() == 255

def test_photo_folder_takes_any_case_of_extension(tmp_path):
    synth_face(0).save(tmp_path/'A.PNG'); synth_face(1).save(tmp_path/'b.png')
    assert FaceLibrary(tmp_path, size=64).names == ['A.PNG', 'b.png']

def test_style_follows_the_config():
    "A CorruptConfig without `style` explores chapter 03's edge-pixel synthesis (not refused as a wrong config for 'human')."
    x = corruption_explorer(toy_faces(1, 64), cfg=CorruptConfig())
    assert x.style == 'edges' and type(x.cfg) is CorruptConfig and x.error is None

def test_upload_error_is_the_reason_alone():
    "A refused upload is named by its file name and the reason, not by the in-memory object PIL read it from."
    x = corruption_explorer(toy_faces(1, 64), style='edges')
    buf = io.BytesIO(); Image.new('RGB', (1, 1)).save(buf, format='png')
    x._uploaded({'new': ({'name': 'dot.png', 'content': memoryview(buf.getvalue())},)})
    assert x.error == 'could not use dot.png: too small (1x1; need at least 8px)', x.error
