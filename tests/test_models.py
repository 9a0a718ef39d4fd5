"What the models notebook tests badly: torch.compile through spectral norm, and a checkpoint round trip."
import dataclasses, torch
from cali_sketch.core import torch_save
from cali_sketch.layers import spectral_layers
from cali_sketch.models import ModelConfig, make_scn, G1

def test_compile_train_step_through_spectral_norm():
    "The parametrization spectral norm traces through dynamo + AOTAutograd, forward and backward (the hook API did not)."
    torch.manual_seed(0)
    g1, d1 = make_scn(ModelConfig.small())
    assert spectral_layers(g1) and spectral_layers(d1)
    g1c, d1c = torch.compile(g1, backend='aot_eager'), torch.compile(d1, backend='aot_eager')
    S = torch.rand(2, 1, 32, 32)
    for _ in range(2):
        g1.zero_grad(); d1.zero_grad()
        logits, feats = d1c(g1c(S))
        ((logits - 1).pow(2).mean() + sum(f.abs().mean() for f in feats)).backward()
        for n, p in [*g1.named_parameters(), *d1.named_parameters()]:
            assert p.grad is not None and p.grad.abs().sum() > 0, n
    g1.eval()
    with torch.no_grad(): torch.testing.assert_close(torch.compile(g1, backend='aot_eager')(S), g1(S))

def test_checkpoint_round_trip(tmp_path):
    "Config + weights (spectral-norm u, v included) saved and loaded with weights_only=True give the same network."
    cfg = ModelConfig.small(n_blocks=1)
    g = G1(cfg).train()
    S = torch.rand(1, 1, 32, 32)
    g(S)  # one power-iteration step moves u, v away from their initial values
    torch_save({'cfg': dataclasses.asdict(cfg), 'g1': g.state_dict()}, tmp_path/'ck.pt')
    ck = torch.load(tmp_path/'ck.pt', map_location='cpu', weights_only=True)
    h = G1(ModelConfig(**ck['cfg'])); h.load_state_dict(ck['g1'])
    g.eval(); h.eval()
    with torch.no_grad(): assert torch.equal(g(S), h(S))
