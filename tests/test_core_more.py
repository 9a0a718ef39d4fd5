"What the core notebook (at its length limit) leaves untested: image values and crops a user would see wrong, and options passed on."
import numpy as np, torch
from PIL import Image
from cali_sketch.core import load_image, to_uint8, crop_resize, save_image, show_grid

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
