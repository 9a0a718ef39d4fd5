"What the metrics notebook tests badly: behaviour in a fresh process (no weights, import direction) and bad inputs from outside."
import os, subprocess, sys, warnings
import numpy as np, pytest, torch
from cali_sketch import metrics as M, fid

@pytest.mark.parametrize('mod,allowed', [('metrics', ('core', 'console')), ('fid', ('core', 'console'))])
def test_metrics_import_nothing_of_training(mod, allowed):
    "metrics and fid load no training module (fid loads edges lazily, for the HED backbone): a light import for users."
    keep = tuple(f'cali_sketch.{m}' for m in (mod, *allowed))
    code = (f"import sys, cali_sketch.{mod}; bad = [m for m in sys.modules if m.startswith('cali_sketch.') and "
            f"m not in {keep!r}]; print(bad); sys.exit(bool(bad))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr

def test_fid_without_weights_names_where_it_looked(tmp_path):
    "A fresh user without the Inception file gets an error naming the cache path, never a download."
    code = "from cali_sketch.fid import InceptionFeatures\nInceptionFeatures()"
    env = {**os.environ, 'TORCH_HOME': str(tmp_path)}
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    assert r.returncode != 0
    assert str(tmp_path/'hub'/'checkpoints'/fid.FID_WEIGHTS_NAME) in r.stderr and 'nothing is downloaded' in r.stderr

def test_inception_refuses_other_state_dicts(tmp_path):
    "A file that is not an Inception state dict (e.g. the wrong network) is refused with its path."
    p = tmp_path/'vgg.pth'; torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)}, p)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(ValueError, match='not an FID Inception state dict'): fid.InceptionFeatures(p, check_hash=False)

@pytest.mark.parametrize('bad,exc,msg', [
    (lambda: M.psnr(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8).numpy()), TypeError, 'expected a torch.Tensor'),
    (lambda: M.ImageMetrics().update(torch.rand(2, 3, 16, 16) * 255, torch.rand(2, 3, 16, 16)), ValueError, 'preds: values must lie in [0,1]'),
    (lambda: M.edge_prf(np.zeros((2, 8, 8)), np.zeros((2, 8, 8))), ValueError, 'pred: expected an edge map'),
    (lambda: M.edge_prf(np.zeros((8, 8)), np.zeros((8, 8)), tol=-1), ValueError, 'tol=-1'),
    (lambda: fid.FeatureDistance(torch.nn.Identity()), ValueError, 'fd_name'),
    (lambda: M.ImageMetrics().compute(), ValueError, 'no images'),
])
def test_bad_inputs_are_named(bad, exc, msg):
    with pytest.raises(exc) as e: bad()
    assert type(e.value) is exc and msg in str(e.value), (type(e.value), str(e.value))

def test_psnr_all_channels_and_frechet_nonnegative():
    x = torch.rand(4, 1, 12, 12); y = (x + 0.05).clamp(0, 1)  # single-channel images work too
    assert M.psnr(x, y).shape == (4,) and M.ssim(torch.rand(2, 1, 12, 12), torch.rand(2, 1, 12, 12)).shape == (2,)
    f = np.random.default_rng(0).normal(size=(50, 4))
    assert fid.frechet_distance(*fid.feature_stats(f), *fid.feature_stats(f + 1)) == pytest.approx(4., abs=1e-6)

def test_psnr_and_ssim_values():
    "PSNR is 10 log10(L^2 / MSE) per image (inf for equal images); SSIM is 1 for equal images and matches scikit-image's Gaussian SSIM."
    from skimage.metrics import structural_similarity
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 16, 16, generator=g) * 0.9
    y = x + torch.tensor([0.01, 0.05, 0.1]).view(3, 1, 1, 1)  # a known MSE per image: d^2 (no clamping: x + d stays in [0,1])
    assert M.psnr(x, y) == pytest.approx([10 * np.log10(1 / d ** 2) for d in (0.01, 0.05, 0.1)], abs=1e-3)  # 40, 26.02, 20 dB
    assert M.psnr(x, y, data_range=2.) == pytest.approx([10 * np.log10(4 / d ** 2) for d in (0.01, 0.05, 0.1)], abs=1e-3)
    n = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)  # any error: MSE computed here
    mse = (x.double() - n.double()).pow(2).flatten(1).mean(1)
    assert M.psnr(x, n) == pytest.approx((10 * torch.log10(1 / mse)).tolist(), abs=1e-3)
    assert torch.isinf(M.psnr(x, x)).all() and torch.isfinite(M.psnr(x, n)).all()
    assert M.ssim(x, x) == pytest.approx([1.] * 3, abs=1e-5)
    s = M.ssim(x, n)
    assert torch.isfinite(s).all() and (s < 0.99).all()
    ref = [np.mean([structural_similarity(x[i, c].numpy(), n[i, c].numpy(), gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                          data_range=1.) for c in range(3)]) for i in range(3)]
    assert s == pytest.approx(ref, abs=1e-4)
    assert M.ssim(x, 1 - x).mean() < M.ssim(x, n).mean()  # a worse picture scores lower
