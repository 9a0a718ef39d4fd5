"`prepare` (chapter 06), beyond tests/test_prepare.py: each cached sample is its own photo's crop with that crop's edges, every edge parameter is part of the recipe, bad files are named by their path under SRC, and a lost strokes file is traced again."
import shutil
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from cali_sketch.core import load_image, crop_resize
from cali_sketch.faces import make_face_folder
from cali_sketch.edges import EdgeExtractor, load_contour_detector
from cali_sketch.prepare import prepare, read_manifest, read_strokes, strokes_path, unpack_edges, edge_recipe, PrepareMismatchError

SIZE = 64

@pytest.fixture(scope='module')
def prepared(tmp_path_factory):
    "6 faces, a broken download among them (first in the first batch of 4, so a skipped file could shift the rest) and one of the same name in a subfolder."
    tmp = tmp_path_factory.mktemp('more'); src = tmp/'src'
    make_face_folder(src, 6, seed=11)
    (src/'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0'); (src/'sub').mkdir(); (src/'sub'/'broken.jpg').write_bytes(b'')
    ext = EdgeExtractor(load_contour_detector())
    rep = prepare(src, tmp/'out', size=SIZE, detector=ext, batch_size=4, progress=False)
    return src, tmp/'out', ext, rep

def test_each_sample_is_its_photo_and_its_edges(prepared):
    "The cached photo is the crop of the source the manifest names (not a neighbour's), and its edges are that crop's: red E_gc, green E_ld."
    src, out, ext, rep = prepared
    m = read_manifest(out); assert m['count'] == rep.count == 6
    for s in m['samples']:
        photo = load_image(out/'photos'/f"{s['name']}.png")
        assert np.array_equal(np.asarray(photo), np.asarray(crop_resize(load_image(src/s['source']), SIZE))), s
        gc, ld = unpack_edges(load_image(out/'edges'/f"{s['name']}.png"))
        e = ext([photo])[0]
        assert (gc != ld).mean() > 0.02  # the two maps differ enough for a swap to show
        assert (gc == e['gc']).mean() > 0.99 and (ld == e['ld']).mean() > 0.99, s['name']

def test_bad_files_are_named_by_their_path(prepared):
    "Two broken files of the same name in different folders: each named by its path under SRC, in the manifest and the report."
    src, out, _, rep = prepared
    assert sorted(f['source'] for f in read_manifest(out)['failures']) == ['broken.jpg', 'sub/broken.jpg']
    assert sorted(Path(p).relative_to(src).as_posix() for p, _ in rep.failures) == ['broken.jpg', 'sub/broken.jpg']

def test_every_edge_parameter_is_in_the_recipe(prepared):
    "Each parameter that changes the edges is recorded as given, so a re-run with another value is refused, not mixed in."
    src, out, ext, _ = prepared
    for k, v in dict(canny_sigma=3., min_size=9, nms=False, threshold=0.2, hed_size=32).items():
        assert edge_recipe(EdgeExtractor(ext.detector, **{k: v}))['edges'][k] == v, k
    with pytest.raises(PrepareMismatchError, match='canny_sigma'):
        prepare(src, out, size=SIZE, detector=EdgeExtractor(ext.detector, canny_sigma=3.), progress=False)

def test_a_lost_strokes_file_is_traced_again(prepared, tmp_path):
    "`read_strokes` says re-running prepare adds missing strokes from the cached edges: it does, for that sample alone."
    src, out, ext, _ = prepared
    o = tmp_path/'o'; shutil.copytree(out, o)
    name = read_manifest(o)['samples'][2]['name']; strokes_path(o, name).unlink()
    rep = prepare(src, o, size=SIZE, detector=ext, progress=False)
    assert (rep.new, rep.stroked, rep.count) == (0, 1, 6), rep
    assert read_strokes(o, name).size == SIZE
