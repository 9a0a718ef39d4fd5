"Fault and bad-input tests of cali_sketch.losses that a notebook shows badly (broken weight files, import direction)."
import ast, warnings
from pathlib import Path
import pytest, torch
from cali_sketch.core import FallbackWarning
from cali_sketch.losses import FeatureExtractor, VGG19_FILE

ROOT = Path(__file__).resolve().parents[1]

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

def test_import_direction():
    "losses imports only earlier modules (core, edges), never later ones."
    later = {'learner', 'scn', 'isn', 'joint', 'pipeline', 'widgets', 'metrics', 'cli'}
    tree = ast.parse((ROOT/'cali_sketch'/'losses.py').read_text())
    mods = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module: mods.add(('cali_sketch.' if n.level else '') + n.module)
        if isinstance(n, ast.Import): mods.update(a.name for a in n.names)
    ours = {m.split('.')[1] for m in mods if m.startswith('cali_sketch.')}
    assert ours <= {'core', 'edges'}, ours
    assert not ours & later
