"What the corrupt notebook (at its length limit) leaves untested: each kind of mistake at the strength its field and severity promise, in px of a 256x256 face at any size."
import numpy as np, cv2
from cali_sketch.corrupt import CorruptConfig, corrupt_sketch, toy_face_edges

def _draw(E, cfg, seed): return corrupt_sketch(E, np.zeros_like(E), cfg, rng=seed)

def test_soft_edge_maps_are_cut_at_half():
    "A float edge map is a stroke only above 0.5 (a soft HED map's faint 0.4 is background, not ink)."
    gc, ld = toy_face_edges(64)
    S = corrupt_sketch(np.where(gc, 1., 0.4), np.where(ld, 0.4, 0.), CorruptConfig(severity=0), rng=0)
    np.testing.assert_array_equal(S, gc.astype(np.float32))

def test_global_warp_is_in_px_of_a_256_face():
    "global_warp=20 moves a stroke at most 10 px in a 128x128 sketch (dots 48 px apart: each moved dot is nearest its own)."
    E = np.zeros((128, 128), bool); E[16::48, 16::48] = True; c = (16, 64, 112)
    cfg = CorruptConfig(severity=1).only('global warp'); far = 0
    for k in range(10):
        ys, xs = np.nonzero(_draw(E, cfg, k))
        far = max(far, max(min(max(abs(y - a), abs(x - b)) for a in c for b in c) for y, x in zip(ys, xs)))
    assert 3 <= far <= 10, far

def test_broken_strokes_per_100px_of_a_256_face():
    "gap_rate=1 cuts about 1 gap per 100 px at 256, so 24 in 1200 px of lines at 128 (a gap_len=4 gap removes 3 px here)."
    E = np.zeros((128, 128), bool); E[4:124:12, 4:124] = True
    cfg = CorruptConfig(severity=1, gap_rate=1, gap_len=4).only('broken strokes')
    gaps = np.mean([(E & (_draw(E, cfg, k) == 0)).sum() / 3 for k in range(5)])
    assert 18 < gaps < 32, gaps

def test_line_width_reaches_max_width():
    "max_width=8 at 256 widens lines by up to 4 px at 128: the widest part reaches it, none goes beyond."
    gc, ld = toy_face_edges(128); gt = gc | ld
    dist = cv2.distanceTransform((~gt).view(np.uint8), cv2.DIST_L2, 5)
    S = corrupt_sketch(gc, ld, CorruptConfig(severity=1, max_width=8).only('line width'), rng=0)
    assert 3.5 < dist[S > 0].max() <= 4.5, dist[S > 0].max()

def test_erased_rectangles_erase():
    "severity=1, erase_rects=2: two rectangles of side H/8..H/4 erased (lines every 4 rows: 64..512 px gone)."
    E = np.zeros((128, 128), bool); E[::4] = True
    for k in range(3):
        S = _draw(E, CorruptConfig(severity=1).only('erased rectangles'), k)
        assert 64 <= (E & (S == 0)).sum() <= 512 and not (S[~E] > 0).any(), (E & (S == 0)).sum()

def test_intensity_scales_with_severity():
    "intensity=1 greys strokes by up to severity: at 0.1 no stroke goes below 0.9; at 1 some go nearly white."
    gc, ld = toy_face_edges(64)
    lo = [corrupt_sketch(gc, ld, CorruptConfig(severity=v, intensity=1).only('intensity'), rng=0) for v in (0.1, 1)]
    assert lo[0][lo[0] > 0].min() >= 0.9 - 1e-6 and lo[1][lo[1] > 0].min() < 0.5
