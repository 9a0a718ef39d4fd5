"cali_sketch.edges, second mutation audit: every parameter reaches the code it names (Canny's thresholds, NMS radius/border, the extractor's post-processing), and a broken HED file is never swapped for the stand-in."
import numpy as np
import pytest
import torch
import torch.nn as nn
from cali_sketch import edges, hed
from cali_sketch.edges import (canny_edges, edge_nms, postprocess_contours, EdgeExtractor, ContourDetector,
                               GradientContours, load_contour_detector)

def test_canny_thresholds_reach_skimage():
    from skimage.feature import canny
    yy, xx = np.mgrid[:64, :64]
    img = 0.5 + np.where(xx < 24, -1, 1) * 0.25 * yy / 63  # a step edge whose contrast grows from 0 (top) to 0.5 (bottom)...
    img[:, 44:] = np.where(yy[:, 44:] < 32, 0.4, 0.55)     # ...and a faint constant one
    for low, high in ((0.04, 0.2), (0.1, 0.4)):  # low reaches further up the first edge; high drops the faint one
        got = canny_edges(img, low=low, high=high)
        np.testing.assert_array_equal(got, canny(img, sigma=2.0, low_threshold=low, high_threshold=high))
        assert (got != canny_edges(img)).any(), (low, high)  # each differs from the defaults (0.1, 0.2): the check can fail

class _Fixed(nn.Module):
    "A detector that returns one fixed soft map, whatever the photo."
    def __init__(self, E): super().__init__(); self.register_buffer('E', torch.as_tensor(E, dtype=torch.float32))
    def forward(self, x): return self.E.expand(len(x), 1, *self.E.shape).clone()

def _ridges():
    "Soft ridges of many heights and lengths, and one along the top border."
    from scipy import ndimage
    E = ndimage.gaussian_filter(np.random.default_rng(0).random((48, 48)), 1.5); E = (E - E.min()) / (E.max() - E.min())
    E[0, 4:44] = 1.0
    return E.astype(np.float32)

def test_extractor_passes_its_postprocessing_settings():
    E, photo = _ridges(), np.zeros((48, 48, 3), np.uint8)
    det = ContourDetector(_Fixed(E), 'fixed')
    default = postprocess_contours(E)
    for kw in (dict(threshold=0.6), dict(min_size=12), dict(nms=False)):
        want = postprocess_contours(E, **kw)
        assert (want != default).any(), kw
        np.testing.assert_array_equal(EdgeExtractor(det, **kw)([photo])[0]['gc'], want)

def test_nms_radius_margin_and_border_take_effect():
    prof = np.zeros(48, np.float32); prof[20:27] = [0.2, 0.6, 1.0, 0.5, 0.8, 0.3, 0.1]  # a peak, and a lower one 2 px away
    E = np.tile(prof, (48, 1))
    assert list(np.flatnonzero(edge_nms(E, radius=1, border=0)[24])) == [22, 24]
    assert list(np.flatnonzero(edge_nms(E, radius=2, border=0)[24])) == [22]  # within 2 px of a higher one: suppressed
    for r, cols in ((1, [22, 24]), (2, [22])):
        assert list(np.flatnonzero(postprocess_contours(E, radius=r)[10:38].any(0))) == cols
    E = np.tile(np.float32([0, 0.3, 0.995, 1.0, 0.3, 0]), (8, 4))  # two near-equal neighbours across the ridge
    assert list(np.flatnonzero(edge_nms(E, border=0)[4, :6])) == [2, 3]          # both kept within margin=1.01...
    assert list(np.flatnonzero(edge_nms(E, margin=1.0, border=0)[4, :6])) == [3]  # ...only the top one without it
    top = np.zeros((32, 32), np.float32); top[0] = 1  # a contour along the image's top row
    assert postprocess_contours(top).sum() == 0                    # faded out by NMS's 5 px border ramp
    assert postprocess_contours(top, border=0).sum() == 32         # kept when the fade is off...
    assert postprocess_contours(top, nms=False).sum() == 32        # ...or when there is no NMS

def test_threshold_is_inclusive_for_saved_maps():
    u = np.zeros((32, 32), np.uint8); u[16, 4:28] = 25  # exactly the default threshold, 25/255, in a saved HED PNG
    assert postprocess_contours(u, nms=False).sum() == 24 and postprocess_contours(u - (u > 0), nms=False).sum() == 0

def test_broken_weights_are_never_replaced_by_the_fallback(tmp_path, monkeypatch):
    "fallback=True covers HED weights that exist nowhere, not a file that is there but broken."
    (tmp_path/'bad.pth').write_bytes(b'not a torch file')
    with pytest.raises(ValueError, match='bad.pth'): load_contour_detector(tmp_path/'bad.pth', fallback=True)
    monkeypatch.setenv('CALI_SKETCH_CACHE', str(tmp_path/'cache')); (tmp_path/'cache').mkdir()
    (tmp_path/'cache'/hed.HED_CACHE_NAME).write_bytes(b'not a torch file')
    with pytest.raises(ValueError, match=hed.HED_CACHE_NAME): load_contour_detector(fallback=True)  # a corrupt cache, too

def test_hed_size_resizes_with_antialiasing():
    seen = {}
    class Spy(nn.Module):
        def forward(self, x): seen['x'] = x.clone(); return x[:, :1]
    img = (np.random.default_rng(1).random((64, 64, 3)) * 255).astype(np.uint8)
    EdgeExtractor(ContourDetector(Spy(), 'spy'), hed_size=32)([img])
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    torch.testing.assert_close(seen['x'], torch.nn.functional.interpolate(x, size=(32, 32), mode='bilinear', antialias=True, align_corners=False))

def test_gradient_contours_use_their_sigmas():
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(GradientContours((1.0,))(x), GradientContours()(x))
