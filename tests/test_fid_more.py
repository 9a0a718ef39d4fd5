"Chapter 41 (fid) checks that do not fit its notebook: which features the distances are made of, and the settings reaching them."
import warnings
import numpy as np, pytest, torch
import torch.nn as nn, torch.nn.functional as F
from cali_sketch import fid

class _Mean(nn.Module):
    "A 3-d stand-in backbone (the mean colour): FeatureDistance's bookkeeping without a network."
    fd_name, kd_name = 'FD-mean', 'KD-mean'
    def forward(self, x): return x.mean((2, 3))

def test_feature_distance_passes_its_kid_settings():
    "FD and KD are the chapter's formulas on the features, with the kid_subsets / kid_subset_size given (not the defaults)."
    g = torch.Generator().manual_seed(0)
    fake, real = torch.rand(12, 3, 4, 4, generator=g), torch.rand(12, 3, 4, 4, generator=g) * 0.8
    fd = fid.FeatureDistance(_Mean(), kid_subsets=7, kid_subset_size=5)
    out = fd.update(fake[:5], real[:5]).update(fake[5:], real[5:]).compute()
    f, r = fake.mean((2, 3)).double().numpy(), real.mean((2, 3)).double().numpy()
    kd, sd = fid.kid(f, r, 7, 5)
    assert out == pytest.approx({'FD-mean': fid.frechet_distance(*fid.feature_stats(f), *fid.feature_stats(r)), 'KD-mean': kd, 'KD-mean-std': sd}, rel=1e-9)

def test_kid_subsets_hold_distinct_samples():
    "Each KID subset is drawn without replacement. With orthogonal one-hot features every kernel value between two distinct samples is 1,"
    "so each subset's unbiased MMD^2 is exactly 0; a repeated sample would add a k(x,x) = (1 + 1/D)^3 term and bias it upward."
    e = np.eye(20)
    assert fid.kid(e[:10], e[10:], subsets=20, subset_size=5) == pytest.approx((0., 0.), abs=1e-12)

def test_inception_input_is_pytorch_fid_resize(tmp_path):
    "The FID graph sees each image resized bilinearly (align_corners=False) to 299x299 and scaled to [-1,1], as pytorch-fid feeds it."
    d = tmp_path; torch.save(fid.fid_inception_v3().state_dict(), d/'w.pth')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); inc = fid.InceptionFeatures(d/'w.pth', check_hash=False)
    seen = []; inc.net.Conv2d_1a_3x3.register_forward_pre_hook(lambda m, a: seen.append(a[0]))
    x = torch.rand(1, 3, 20, 24, generator=torch.Generator().manual_seed(1))
    inc(x)
    want = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False) * 2 - 1
    assert seen[0].shape == (1, 3, 299, 299) and torch.allclose(seen[0], want, atol=1e-6)

@pytest.mark.skipif(not fid.hed_available(), reason="no HED weights here (scripts/env.sh installs them)")
def test_hed_features_are_pooled_relu5_3():
    "FD-HEDVGG16 is made of the pooled relu5_3 map: the last of the five stages of the HED with its BSDS500 weights."
    from cali_sketch.hed import HED, hed_state_dict
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); net = fid.make_feature_backbone('hed-vgg16')
    hed = HED(); hed.load_state_dict(hed_state_dict()); hed.eval()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad(): want = hed.features(x)[4].mean((2, 3))
    assert net.dim == 512 and torch.allclose(net(x), want, atol=1e-5)
