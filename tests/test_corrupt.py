"What the corrupt notebook tests badly: sketches made in worker processes (as a DataLoader makes them), and the benchmark as a user runs it."
import multiprocessing as mp, pickle, subprocess, sys
from pathlib import Path
import numpy as np
from cali_sketch.corrupt import CorruptConfig, Corruptor, toy_face_edges

ROOT = Path(__file__).resolve().parents[1]

def _make(args):
    corruptor, gc, ld, seed = args
    return corruptor(gc, ld, seed)

def test_worker_processes_draw_the_same_sketch():
    "A pickled Corruptor in a spawned worker gives bit-identical sketches: S depends on the seed, not on the process."
    gc, ld = toy_face_edges(128)
    c = pickle.loads(pickle.dumps(Corruptor(CorruptConfig(severity=0.7))))
    jobs = [(c, gc, ld, seed) for seed in range(4)]
    with mp.get_context('spawn').Pool(2) as pool: there = pool.map(_make, jobs)
    here = [_make(j) for j in jobs]
    for a, b in zip(here, there): np.testing.assert_array_equal(a, b)
    assert not np.array_equal(here[0], here[1])

def _bench(*args):
    return subprocess.run([sys.executable, str(ROOT/'bench'/'corrupt_throughput.py'), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)

def test_bench_prints_rate_per_core_and_ratio():
    r = _bench('--n', '20', '--sizes', '64', '128')
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if 'samples/s per core' in l]
    assert len(lines) == 2 and all('x the 150/s target' in l for l in lines), r.stdout
    assert lines[1].split()[0] == '128x128'
    assert float(lines[1].split()[1]) > 0

def test_bench_bad_photo_folder_is_named(tmp_path):
    r = _bench('--n', '5', '--photos', str(tmp_path))
    assert r.returncode != 0 and str(tmp_path) in r.stderr and 'no images' in r.stderr
