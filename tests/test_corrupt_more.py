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

# Second pass: every displacement in px of a 256 face (half that at 128), times severity; each kind's count and size likewise.
GRID = [(y, x) for y in (16, 64, 112) for x in (16, 64, 112)]  # dots 48 px apart
PARTS = [(63, 50), (63, 78), (97, 64)]                          # the centres of the eyes and the mouth in FACE_PARTS, at 128
SIDES = [(63, 41), (63, 59), (97, 52), (97, 76)]                # 9 and 12 px either side of the left eye's and the mouth's centres

def _dots(at):
    E = np.zeros((128, 128), bool); E[tuple(np.array(at).T)] = True; return E

def _offsets(E, S):
    "Each ink pixel of S minus the stroke pixel of E nearest it (dy, dx)."
    ys, xs = np.nonzero(E); oy, ox = np.nonzero(S)
    j = np.maximum(abs(oy[:, None] - ys), abs(ox[:, None] - xs)).argmin(1)
    return np.stack([oy - ys[j], ox - xs[j]], 1)

def test_displacements_scale_with_size_and_severity():
    "A dot moves at most field/2 px at 128 x severity (a part's scale moves a point u px from its centre at most part_scale*u), in x and y independently."
    for kind, kw, at, b in (('stroke deformation', dict(stroke_shift=40), GRID, 20), ('wobbly lines', dict(wobble=40), GRID, 20),
                            ('misplaced parts', dict(part_shift=24, part_scale=0), PARTS, 12),
                            ('misplaced parts', dict(part_shift=0, part_scale=1), SIDES, 12)):
        E = _dots(at)
        for sev in (0.5, 1):
            cfg = CorruptConfig(severity=sev, **kw).only(kind)
            off = np.concatenate([_offsets(E, _draw(E, cfg, k)) for k in range(10)])
            far = np.abs(off).max()
            assert 0.4 * b * sev <= far <= b * sev + 1, (kind, kw, sev, far)
            assert np.abs(np.abs(off[:, 0]) - np.abs(off[:, 1])).max() > 1, (kind, kw)  # not along the diagonals only

def test_stroke_rotation_and_scale_scale_with_severity():
    "A 61 px line (one segment: segment_len 1000) turns by up to stroke_rotate x severity degrees and stretches by up to stroke_scale x severity."
    E = np.zeros((128, 128), bool); E[64, 34:95] = True
    for sev in (0.5, 1):
        cfg = CorruptConfig(severity=sev, stroke_shift=0, stroke_rotate=20, stroke_scale=0, segment_len=1000).only('stroke deformation')
        rise = max(np.ptp(np.nonzero(_draw(E, cfg, k))[0]) for k in range(10)); top = 61 * np.sin(np.deg2rad(20 * sev))
        assert 0.4 * top <= rise <= top + 1, (sev, rise)
        cfg = CorruptConfig(severity=sev, stroke_shift=0, stroke_rotate=0, stroke_scale=0.5, segment_len=1000).only('stroke deformation')
        lens = [np.ptp(np.nonzero(_draw(E, cfg, k))[1]) + 1 for k in range(10)]
        assert 61 * (1 - 0.5 * sev) - 2 <= min(lens) < 55 < 67 < max(lens) <= 61 * (1 + 0.5 * sev) + 2, (sev, lens)

def test_spurious_strokes_scale_with_size_and_severity():
    "extra_strokes curves (8-30 px at 256: at most ~15 px at 128, near the stroke) are severity times as many; doubles sit 1.5-3.5 px (at 256) off, double_prob x severity of them."
    E = _dots([(64, 64)]); ink = {}
    for sev in (0.25, 1):
        S = [_draw(E, CorruptConfig(severity=sev, extra_strokes=20, double_prob=0).only('spurious strokes'), k) for k in range(5)]
        ink[sev] = np.mean([s.sum() for s in S])
        far = max(np.hypot(*(np.nonzero(s) - np.array([[64], [64]]))).max() for s in S)
        assert 8 <= far <= 24, (sev, far)
    assert ink[0.25] < 0.5 * ink[1], ink
    E = _dots([(y, x) for y in range(8, 128, 20) for x in range(8, 128, 20)])  # 36 dots
    for sev in (0.5, 1):
        S = [_draw(E, CorruptConfig(severity=sev, extra_strokes=0, double_prob=1).only('spurious strokes'), k) for k in range(4)]
        off = np.concatenate([_offsets(E, s) for s in S]); far = np.abs(off).max(1)
        assert far.max() <= 2 and (far[far > 0] >= 1).all(), far.max()
        doubled = np.mean([s.sum() / E.sum() - 1 for s in S])
        assert abs(doubled - sev) < 0.15, (sev, doubled)

def test_segments_are_segment_len_of_a_256_face():
    "segment_len=48 cuts a stroke into 24 px pieces at 128: a dropped piece inside a line is a multiple of 24 px, and some are just 24."
    E = np.zeros((128, 128), bool); E[64] = True; runs = []
    for k in range(8):
        row = _draw(E, CorruptConfig(severity=1, drop_prob=0.5).only('missing strokes'), k)[64] > 0
        edges = np.flatnonzero(np.diff(row.astype(int)))  # a gap inside the line: from a 1->0 step to the next 0->1 step
        runs += [b - a for a, b in zip(edges, edges[1:]) if row[a] and not row[a + 1]]
    assert runs and all(r % 24 == 0 for r in runs) and 24 in runs, runs

def test_erased_rectangles_scale_with_severity():
    "Each of erase_rects rectangles is erased with probability severity: at 0.25 about a quarter of the ink they take at 1."
    E = np.zeros((128, 128), bool); E[::4] = True
    gone = {v: np.mean([(E & (_draw(E, CorruptConfig(severity=v).only('erased rectangles'), k) == 0)).sum() for k in range(20)]) for v in (0.25, 1)}
    assert gone[0.25] < 0.5 * gone[1], gone
