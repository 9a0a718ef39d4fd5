"What the core notebook (at its length limit) leaves untested: image values and crops a user would see wrong, and options passed on."
import io, numpy as np, torch
from PIL import Image
from cali_sketch.core import load_image, to_uint8, crop_resize, save_image
from cali_sketch.figures import show_grid

def test_float_tiff_in_unit_range(tmp_path):
    "A 32-bit float image in [0,1] (mode F) is read as [0,1], not as 0..255 (which would make it black)."
    Image.fromarray(np.full((16, 16), 0.5, np.float32)).save(tmp_path/'half.tif')
    assert np.asarray(load_image(tmp_path/'half.tif', 'L')).tolist() == np.full((16, 16), 128).tolist()

def test_array_values_by_dtype():
    "An HxWx1 array is a grey image; a uint16 array is 0..65535 whatever its largest value (as a 16-bit PNG is read)."
    assert load_image(np.full((8, 8, 1), 255, np.uint8), 'L').size == (8, 8)
    assert np.asarray(load_image(np.full((8, 8), 257 * 100, np.uint16), 'L')).max() == 100
    assert np.asarray(load_image(np.full((8, 8), 200, np.uint16), 'L')).max() == 1

def test_to_uint8_rounds():
    "0.999 of white is 255 (254.7 rounded), not 254 (cut): to_tensor -> to_uint8 keeps every byte."
    assert to_uint8(torch.full((2, 2), 254.7 / 255)).tolist() == [[255, 255]] * 2
    u = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert (to_uint8(torch.from_numpy(u).float() / 255) == u).all()

def test_crop_resize_takes_the_centre_shifted_up():
    "A tall image: the square starts `shift` of the spare height above the centre; a wide one: the middle columns."
    tall = Image.fromarray(np.repeat(np.arange(80, dtype=np.uint8)[:, None], 40, 1))  # each row its own value
    assert np.asarray(crop_resize(tall, 40, shift=0.25))[0, 0] == 10  # spare 40: centre top 20, minus 0.25 * 40
    assert np.asarray(crop_resize(tall, 40, shift=0))[0, 0] == 20
    wide = Image.fromarray(np.repeat(np.arange(80, dtype=np.uint8)[None], 40, 0))
    assert np.asarray(crop_resize(wide, 40))[0, [0, -1]].tolist() == [20, 59]

def test_save_image_passes_options(tmp_path):
    "save_image's keywords reach PIL: a low JPEG quality makes a smaller file."
    x = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0))
    save_image(x, tmp_path/'lo.jpg', quality=10); save_image(x, tmp_path/'hi.jpg', quality=95)
    assert (tmp_path/'lo.jpg').stat().st_size < (tmp_path/'hi.jpg').stat().st_size

def test_show_grid_draws_sketches_black_on_white():
    "A one-channel sketch (1 = stroke) is shown inverted: an empty one is white paper, a full one black; a photo as it is."
    fig = show_grid([[torch.zeros(1, 8, 8), torch.ones(8, 8), torch.full((3, 8, 8), 0.25)]])
    a = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    assert a[0].min() == 1 and a[1].max() == 0 and np.allclose(a[2], 0.25)

from cali_sketch.core import (best_checkpoint, torch_save, atomic_write, seed_everything, make_rng, announce_fallback,
                              FallbackWarning, device_problem)
from cali_sketch.figures import fig_to_png
import warnings, pytest
from unittest.mock import patch

def test_best_checkpoint_skips_damaged_snapshots_and_other_names(tmp_path):
    "No prev.pt and the newest kept snapshot damaged: the next newest one; a `ckpt_best.pt` beside them is not a numbered snapshot."
    for s in (2, 4): torch_save(dict(step=s), tmp_path/f'ckpt_{s:06d}.pt')
    (tmp_path/'ckpt_000006.pt').write_bytes(b'cut'); torch_save(dict(step=9), tmp_path/'ckpt_best.pt')
    assert best_checkpoint(tmp_path) == (4, tmp_path/'ckpt_000004.pt')

def test_seeds_out_of_numpy_range():
    "A seed above 2**32 (a hash) seeds everything; negative or huge keys make a generator, the same each time."
    seed_everything(2**40 + 5); a = np.random.rand(); seed_everything(2**40 + 5); assert np.random.rand() == a
    assert make_rng(-1, 2**70).random() == make_rng(-1, 2**70).random()

def test_announce_fallback_is_loud_and_points_at_the_caller(capsys):
    "The warning names the file that called announce_fallback; the banner goes to stderr."
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always'); announce_fallback('test substitute')
    assert w[0].filename == __file__
    assert '!! FALLBACK: test substitute' in capsys.readouterr().err

def test_atomic_write_text_mode(tmp_path):
    with atomic_write(tmp_path/'a.txt', 'w') as f: f.write('héllo')
    assert (tmp_path/'a.txt').read_text() == 'héllo'

def test_save_image_upper_case_suffix_and_smallest_size(tmp_path):
    "PHOTO.PNG is a PNG; crop_resize takes the smallest size it allows (8)."
    save_image(torch.zeros(3, 8, 8), tmp_path/'A.PNG'); assert Image.open(tmp_path/'A.PNG').format == 'PNG'
    assert crop_resize(Image.new('L', (10, 12)), 8).size == (8, 8)

def test_transparent_palette_and_grey_alpha_are_white_paper():
    "A palette image (GIF) with a transparent index, and a grey image with alpha, read transparent pixels as white."
    p = Image.new('P', (8, 8), 0); p.putpalette([0, 0, 0] * 256); p.info['transparency'] = 0
    assert np.asarray(load_image(p, 'L')).min() == 255
    la = Image.fromarray(np.zeros((8, 8, 2), np.uint8), 'LA')
    assert np.asarray(load_image(la, 'L')).min() == 255

def test_32bit_image_by_its_range():
    "A 32-bit integer image (mode I) going above 255 is 0..65535, not clipped at 255."
    im = Image.fromarray(np.full((8, 8), 65535 // 2, np.int32)); assert im.mode == 'I'
    assert abs(int(np.asarray(load_image(im, 'L')).max()) - 128) <= 1

def test_show_grid_layout_and_png_options():
    "Columns across, rows down; titles over the first row only; fig_to_png passes dpi and metadata on."
    x = torch.zeros(1, 8, 8)
    fig = show_grid([[x, x, x], [x]], titles=['a', 'b', 'c'], size=1.0)
    assert fig.get_size_inches()[0] == 3.0 and fig.get_size_inches()[1] == pytest.approx(2.3)
    assert [ax.get_title() for ax in fig.axes] == ['a', 'b', 'c', '', '', '']
    png = fig_to_png(fig, dpi=50, metadata={'Software': 'cali-test'})
    im = Image.open(io.BytesIO(png)); assert im.size == (150, 115) and im.info.get('Software') == 'cali-test'

def test_device_problem_mps_names_the_flag():
    with patch('torch.backends.mps.is_available', return_value=False):
        assert device_problem('mps', '--dev') == "--dev=mps: Apple's MPS is not available here; use --dev cpu"
