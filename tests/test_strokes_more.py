"cali_sketch.strokes, second mutation audit: tracing at junctions, thinning and min_pixels; joining at the given gap and turn; face_strokes' min_len, step, gap and rank scaled with the size; select_strokes' bounds."
import numpy as np
from cali_sketch.corrupt import toy_face_edges
from cali_sketch.strokes import (PARTS, _PART_WEIGHT, _DETAIL_PARTS, trace_strokes, resample, stroke_length, join_strokes,
                                 face_strokes, select_strokes, Strokes)

def test_trace_joins_branches_to_what_they_leave():
    m = np.zeros((24, 24), bool); m[2:21, 2] = m[2:21, 20] = True; m[10, 3:20] = True  # an H: the bar touches both posts
    bar = [s for s in trace_strokes(m, thin=False) if (s[:, 1] == 10).all()]
    assert len(bar) == 1 and {tuple(bar[0][0]), tuple(bar[0][-1])} == {(2., 10.), (20., 10.)}  # from post to post, no gaps

def test_trace_thin_and_min_pixels():
    bar = np.zeros((20, 40), bool); bar[8:11, 5:35] = True  # a 3 px thick line
    assert [len(s) < 35 for s in trace_strokes(bar)] == [True]  # skeletonised: one stroke along it, not a walk over 90 px
    m = np.zeros((12, 12), bool); m[2, 2:5] = True; m[8, 2:9] = True
    assert sorted(len(s) for s in trace_strokes(m, thin=False)) == [3, 7]
    assert [len(s) for s in trace_strokes(m, thin=False, min_pixels=5)] == [7]
    tri = np.zeros((8, 8), bool); tri[3, 3] = tri[3, 4] = tri[4, 3] = True  # 3 px in an L: a corner, not a closed loop
    assert [len(s) for s in trace_strokes(tri, thin=False)] == [3]

def test_resample_spacing_is_the_nearest_to_step():
    assert np.allclose(np.diff(resample(np.array([[0, 0], [10, 0]], np.float32), 2.6)[:, 0]), 2.5)  # 4 gaps of 2.5, not 3 of 3.33

def test_join_uses_gap_and_max_turn():
    a, b = np.stack([np.arange(0, 11.), np.zeros(11)], 1), np.stack([np.arange(15, 26.), np.zeros(11)], 1)  # a 4 px gap
    assert len(join_strokes([a, b])) == 2 and len(join_strokes([a, b], gap=5)) == 1
    c = np.stack([np.arange(11, 18.), np.arange(1, 8.)], 1)  # a 45° turn after a's end
    assert len(join_strokes([a, c])) == 1 and len(join_strokes([a, c], max_turn=30)) == 2

gc256, ld256 = toy_face_edges(256)

def test_face_strokes_scale_with_size():
    fs, s = face_strokes(gc256, ld256), 2
    for src in (0, 1):  # rank = part weight x length in px at 128 (details: x0.6 in the face parts, 0.1 outside)
        k = fs.src == src
        w = np.array([_PART_WEIGHT[PARTS[p]] * (1 if src == 0 else 0.6) if src == 0 or PARTS[p] in _DETAIL_PARTS else 0.1 for p in fs.part[k]])
        assert k.any() and np.allclose(fs.rank[k], w * fs.lengths()[k] / s, rtol=1e-4)
    long = face_strokes(gc256, ld256, min_len=10)
    assert long.lengths().min() >= 10 * s and fs.lengths().min() < 10 * s  # min_len is px at 128
    sparse = face_strokes(gc256, ld256, step=3)
    assert np.median(np.hypot(*np.diff(sparse[0], axis=0).T)) > 1.5 * np.median(np.hypot(*np.diff(fs[0], axis=0).T))
    gc = np.zeros((256, 256), bool); gc[200, 40:101] = gc[200, 106:160] = True  # a 5 px gap: under 3 px at 128
    assert len(face_strokes(gc, np.zeros_like(gc))) == 1

def test_select_keeps_rank_equal_to_min_and_the_stroke_order():
    st = Strokes.from_list([np.array([[0, 0], [k + 1, 0]], np.float32) for k in range(4)], 64, rank=[12., 30., 11.9, 20.])
    sel = select_strokes(st, min_rank=12)
    assert list(sel.rank) == [12., 30., 20.]  # at or above min_rank, in their original order
    assert list(select_strokes(st, max_strokes=2).rank) == [30., 20.]

def test_details_on_a_contour_are_not_traced_twice():
    "Canny finds HED's contours again 1-2 px off (other smoothing): a detail within 2 px of a contour is that contour."
    gc = np.zeros((128, 128), bool); gc[60, 20:100] = True
    for dy, n in ((2, 0), (4, 1)):
        ld = np.zeros_like(gc); ld[60 + dy, 20:100] = True
        assert (face_strokes(gc, ld).src == 1).sum() == n, dy
