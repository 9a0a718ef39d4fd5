"Config plumbing of the four networks that the models notebook (near its length limit) does not check: what the config asks for is what is built."
import pytest, torch
import torch.nn.functional as F
from torch import nn
from cali_sketch.layers import is_spectral
from cali_sketch.models import ModelConfig, G1, G2, PatchDiscriminator, make_scn, make_isn

def raw_conv_weights(net):
    "Every conv's weight before spectral norm, flattened together."
    return torch.cat([(m.parametrizations.weight.original if is_spectral(m) else m.weight).detach().flatten()
                      for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])

def test_pairs_built_from_the_config_and_its_init_gain():
    cfg = ModelConfig.small(init_gain=0.2)
    for g, d in (make_scn(cfg), make_isn(cfg)):
        assert g.cfg is cfg and d.cfg is cfg
        for net in (g, d): assert abs(raw_conv_weights(net).std().item() - 0.2) < 0.01, type(net).__name__

def test_down_pad_reaches_the_encoder():
    enc = G2(ModelConfig.small(down_pad='reflect')).encoder
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in enc) == 3                 # the stem's and both stride-2 convs'
    assert all(m.padding == (0, 0) for m in enc if isinstance(m, nn.Conv2d))

def test_output_activations():
    "G1 ends in a sigmoid, G2 in (tanh + 1) / 2 (both in [0, 1], so a range check cannot tell them apart)."
    x = torch.rand(1, 1, 16, 16)
    for net, act in ((G1(ModelConfig.small()), torch.sigmoid), (G2(ModelConfig.small()), lambda t: (t.tanh() + 1) / 2)):
        net.eval()
        with torch.no_grad(): torch.testing.assert_close(net(x), act(net.decoder(net.middle(net.encoder(x)))))

def test_discriminator_leaky_relu_after_all_but_the_last_conv():
    d, h = PatchDiscriminator(1, ModelConfig.small()).eval(), torch.rand(1, 1, 32, 32)   # eval: no power step between calls
    with torch.no_grad():
        for i, blk in enumerate(d.convs):
            pre = blk[0](h); h = blk(h)
            torch.testing.assert_close(h, F.leaky_relu(pre, 0.2) if i < 4 else pre)

def test_fewer_levels_than_samples_and_zero_dilation_are_refused():
    with pytest.raises(ValueError, match='2 levels for a batch of 3'): G1(ModelConfig.small(level=True))(torch.rand(3, 1, 16, 16), torch.rand(2))
    with pytest.raises(ValueError, match='ModelConfig.dilation'): ModelConfig(dilation=0)

def test_tables_of_a_level_conditioned_config():
    "A level-conditioned G1 refuses a forward without level=; the tables pass one (they used to raise)."
    from cali_sketch.architecture import architecture_table, summary_table
    cfg = ModelConfig.small(level=True)
    assert architecture_table(G1(cfg), 32).count('\n') == architecture_table(G1(ModelConfig.small()), 32).count('\n')
    gf = lambda c: [r.split('|')[4].strip() for r in summary_table(c, sizes=(32,)).splitlines()[2:]]  # the GFLOPs column
    assert gf(cfg) == gf(ModelConfig.small())   # FiLM adds no convolution
