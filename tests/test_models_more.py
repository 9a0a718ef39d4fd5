"Architecture choices of the four networks that keep every output shape, so the models notebook's shape tests cannot see them."
import pytest, torch
from torch import nn
from cali_sketch.models import ModelConfig, G1, G2, PatchDiscriminator

def test_default_discriminator_gives_raw_lsgan_scores():
    "The paper trains with LSGAN targets 0 / 1 on raw scores: no sigmoid unless asked for."
    assert ModelConfig().d_sigmoid is False
    d = PatchDiscriminator(1, ModelConfig.small()).eval()
    with torch.no_grad(): logits, feats = d(torch.rand(1, 1, 32, 32))
    assert torch.equal(logits, feats[-1])

def test_discriminator_bias_only_without_spectral_norm():
    "EdgeConnect: bias=not use_spectral_norm, in every conv of the PatchGAN."
    assert all(c[0].bias is not None for c in PatchDiscriminator(1, ModelConfig.small(d_spectral=False)).convs)
    assert all(c[0].bias is None for c in PatchDiscriminator(1, ModelConfig.small()).convs)

def test_upsample_reaches_both_decoder_steps():
    dec = G1(ModelConfig.small(upsample='nearest')).decoder
    assert sum(isinstance(m, nn.Upsample) for m in dec) == 2 and not any(isinstance(m, nn.ConvTranspose2d) for m in dec)
    dec = G1(ModelConfig.small()).decoder
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in dec) == 2 and not any(isinstance(m, nn.Upsample) for m in dec)

def test_default_down_pad_is_edgeconnects_zero_padding():
    "Only the 7x7 stem is reflection padded; both stride-2 convs zero-pad by 1 inside the conv."
    assert ModelConfig().down_pad == 'zero'
    enc = G2(ModelConfig.small()).encoder
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in enc) == 1
    assert [m.padding for m in enc if isinstance(m, nn.Conv2d)] == [(0, 0), (1, 1), (1, 1)]

def test_generator_head_has_no_relu():
    "The 7x7 head feeds the output activation raw (a ReLU there would pin G1 at >= 0.5 and G2 at >= 0.5)."
    torch.manual_seed(0)
    for net in (G1(ModelConfig.small()), G2(ModelConfig.small())):
        x = torch.rand(2, 1, 16, 16)
        with torch.no_grad(): h = net.decoder(net.middle(net.encoder(x)))
        assert (h < 0).any(), type(net).__name__
        assert isinstance(net.decoder[-1], nn.Conv2d) and net.decoder[-1].bias is not None

def test_smallest_refused_size_is_a_value_error():
    "At dilation 2 an 8x8 input (a 2x2 trunk) is refused with the size rule, not torch's padding error."
    with pytest.raises(ValueError, match='at least 12'): G1(ModelConfig.small())(torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match='at least 8'): G1(ModelConfig.small(dilation=1))(torch.rand(1, 1, 4, 4))
