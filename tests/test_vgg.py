"Fault and bad-input tests of the VGG feature extractor (cali_sketch.vgg) that a notebook shows badly: broken weight files, no download."
import warnings
import pytest, torch
from cali_sketch.core import FallbackWarning
from cali_sketch.vgg import FeatureExtractor, VGG19_FILE

@pytest.mark.parametrize('content', [b'', b'not a torch file', None])
def test_broken_vgg19_file_names_the_file(tmp_path, content):
    p = tmp_path/VGG19_FILE
    if content is None: torch.save([1, 2, 3], p)   # readable, but not a state dict
    else: p.write_bytes(content)
    with pytest.raises(ValueError, match=VGG19_FILE):
        FeatureExtractor('vgg19', weights=p)

def test_truncated_vgg19_file(tmp_path):
    p = tmp_path/'vgg19.pth'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FallbackWarning)
        fe = FeatureExtractor('random')
    torch.save({f'features.{k}': v for k, v in fe.trunk.state_dict().items()}, p)
    p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 2])
    with pytest.raises(ValueError, match='cannot read VGG-19 weights'):
        FeatureExtractor('vgg19', weights=p)

def test_vgg19_never_downloads_by_default(tmp_path, monkeypatch):
    "Missing weights must raise, not reach for the network."
    import torchvision
    def boom(*a, **k): raise AssertionError('tried to download')
    monkeypatch.setattr(torchvision.models.VGG19_Weights.IMAGENET1K_V1.__class__, 'get_state_dict', boom)
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', boom)
    with pytest.raises(FileNotFoundError, match='not found'):
        FeatureExtractor('vgg19', weights=tmp_path/'absent.pth')

def test_auto_with_download_takes_vgg19(tmp_path, monkeypatch):
    "'auto' with download=True and no file fetches VGG-19 (here a stand-in state dict), keeps features up to relu5_1 only, and says where from."
    import torchvision
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FallbackWarning)
        fe = FeatureExtractor('random')
    sd = {f'features.{k}': v for k, v in fe.trunk.state_dict().items()}
    sd.update({'features.30.weight': torch.zeros(1), 'classifier.0.weight': torch.zeros(1)})  # layers past relu5_1 are dropped
    monkeypatch.setattr(torchvision.models.VGG19_Weights.IMAGENET1K_V1.__class__, 'get_state_dict', lambda self, **k: sd)
    with warnings.catch_warnings():
        warnings.simplefilter('error', FallbackWarning)   # the real VGG-19: nothing to announce
        v = FeatureExtractor(weights=tmp_path/'absent.pth', download=True)
    assert (v.backbone, v.source) == ('vgg19', torchvision.models.VGG19_Weights.IMAGENET1K_V1.url)
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(v(x)[4], fe(x)[4])
