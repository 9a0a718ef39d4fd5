#!/usr/bin/env python3
"""Ship prepared faces and the HED weights to the lent GPU machine, whose upload limit (64 MiB, the checkout included)
they exceed as they are.

  pack-data PREPARED OUT.npz [--format webp|jpeg] [--quality Q]
                                              photos as WebP (default) or JPEG, edge maps bit-packed then xz (lossless)
  pack-data PREPARED OUT.npz --n N            only the first N faces (by name): a val subset
  pack-data PREPARED OUT.npz --max-mib M      as many faces (first by name, up to --n) as fit in M MiB; prints how many
  unpack-data IN.npz PREPARED                 back to a prepared folder (PNG files + prepared.json, which records the transport)
  pack-hed WEIGHTS.pth OUT.xz [--round fp16|bf16|int8]
                                              HED state dict, bytes shuffled by significance then xz (lossless; --round:
                                              rounded to nearest, fp16 half the size, bf16 a further 5 MB less; int8: the
                                              convolution weights with one scale per output channel, 10.8 MiB)
  unpack-hed IN.xz WEIGHTS.pth                back to a float32 state dict; checks every tensor's SHA-256 against the packed one
  strokes PREPARED [--workers N]              trace the strokes of every face that lacks them (what `cali-sketch prepare`
                                              adds to an old folder), in N processes: they are not carried, they are remade
  pack-export W.safetensors PREFIX            exported weights back from the GPU machine (64 MiB, 16 MiB a file): fp16, in parts
  unpack-export PREFIX W.safetensors          the parts joined, back to fp32; the file and its JSON record the fp16 rounding

The photos lose detail (re-encoding of 128x128 PNGs that were themselves decoded from CelebA's JPEGs; WebP at quality
80: 35.8 dB PSNR in 2.7 KB a face, where JPEG needs quality 75 4:2:0 and 3.8 KB for 34.3 dB), and so do the HED weights
when rounded (bf16: FD-HEDVGG16 of the default model 518.4 -> 516.5; int8, what `session.sh pack` carries: 519.5;
bench/hed_rounding.py). prepared.json and the
unpacked weights' note say so. Edges come back bit-identical.
"""
import argparse, hashlib, io, json, lzma, os, sys
from multiprocessing import Pool
from pathlib import Path
import numpy as np
from PIL import Image

def _encode(src, name, fmt, quality, subsampling):
    im, b = Image.open(src/'photos'/f'{name}.png').convert('RGB'), io.BytesIO()
    if fmt == 'webp': im.save(b, 'WEBP', quality=quality, method=6)
    else: im.save(b, 'JPEG', quality=quality, subsampling=subsampling)
    return b.getvalue()

def _edge_blob(edges):
    "Edge PNGs (N,H,W,3: red E_gc, green E_ld, blue unused) -> xz of the two channels' bits, one plane after the other."
    return lzma.compress(np.packbits(np.ascontiguousarray(np.stack(edges)[..., :2].transpose(3, 0, 1, 2)) > 0).tobytes(), preset=9)

def pack_data(src, out, quality=None, n=None, subsampling=0, fmt='webp', max_mib=None):
    src = Path(src); m = json.loads((src/'prepared.json').read_text())
    if m.get('status') != 'complete': sys.exit(f"pack-data: {src}/prepared.json: status {m.get('status')!r}, expected 'complete'")
    quality = quality or {'webp': 80, 'jpeg': 90}[fmt]
    m['samples'] = sorted(m['samples'], key=lambda s: s['name'])[:n or None]
    names, imgs, size = [s['name'] for s in m['samples']], [], 0
    for k in names:  # faces whose photos alone overrun the budget can never fit: they are not encoded
        imgs.append(_encode(src, k, fmt, quality, subsampling)); size += len(imgs[-1])
        if max_mib and size > max_mib * 2**20: break
    total, names = len(names), names[:len(imgs)]
    edges = [np.asarray(Image.open(src/'edges'/f'{k}.png').convert('RGB')) for k in names]
    def blob(k):  # the first k faces as one .npz (stored, not deflated: both parts are compressed already)
        mk = {**m, 'samples': m['samples'][:k], 'count': k, 'transport': f"photos re-encoded as {fmt.upper()} quality {quality}"
              + (f" ({('4:4:4', '4:2:2', '4:2:0')[subsampling]})" if fmt == 'jpeg' else '') + " to fit the GPU machine's upload limit; edges lossless"}
        b = io.BytesIO()
        np.savez(b, manifest=np.frombuffer(json.dumps(mk).encode(), np.uint8), img=np.frombuffer(b''.join(imgs[:k]), np.uint8),
                 off=np.cumsum([0] + [len(j) for j in imgs[:k]]), edge_shape=np.array([k, *edges[0].shape[:2]]),
                 edge_xz=np.frombuffer(_edge_blob(edges[:k]), np.uint8))
        return b.getvalue()
    k, data = len(names), None
    while k > 0:  # shrink until it fits: each try scales k by the overshoot, so two or three tries do
        data = blob(k)
        if not max_mib or len(data) <= max_mib * 2**20: break
        k = min(k - 1, int(k * max_mib * 2**20 / len(data) * 0.995))
    if not k: sys.exit(f"pack-data: not one face of {src} fits in {max_mib} MiB")
    tmp = Path(str(out) + '.tmp'); tmp.write_bytes(data); tmp.replace(out)
    fit = f", all that fit in {max_mib} MiB" if max_mib and k < total else ''
    print(f"pack-data: {k} faces from {src} -> {out} ({len(data) / 2**20:.1f} MiB{fit})")

def _write(args):
    root, n, img, edge = args
    Image.open(io.BytesIO(img)).convert('RGB').save(root/'photos'/f'{n}.png')
    Image.fromarray(edge).save(root/'edges'/f'{n}.png')

def unpack_data(src, out):
    z = np.load(src); m = json.loads(z['manifest'].tobytes()); out = Path(out)
    (out/'photos').mkdir(parents=True, exist_ok=True); (out/'edges').mkdir(parents=True, exist_ok=True)
    n, h, w = map(int, z['edge_shape'])
    bits = np.unpackbits(np.frombuffer(lzma.decompress(z['edge_xz'].tobytes()), np.uint8))[:2 * n * h * w].reshape(2, n, h, w)
    e = np.zeros((n, h, w, 3), np.uint8); e[..., 0], e[..., 1] = bits[0] * 255, bits[1] * 255
    img, off = z['img'].tobytes(), z['off']
    jobs = [(out, s['name'], img[off[i]:off[i + 1]], e[i]) for i, s in enumerate(m['samples'])]
    with Pool(min(16, os.cpu_count() or 1)) as p: p.map(_write, jobs, chunksize=64)
    tmp = out/'prepared.json.tmp'; tmp.write_text(json.dumps(m, indent=1)); tmp.replace(out/'prepared.json')
    print(f"unpack-data: {len(jobs)} faces -> {out}")

def _digests(sd): return {k: hashlib.sha256(v.numpy().tobytes()).hexdigest() for k, v in sd.items()}

_ROUND = {'fp16': 'rounded to fp16 for the transfer (relative error <= 2^-11)',
          'bf16': 'rounded to bf16 for the transfer (relative error <= 2^-8; FD-HEDVGG16 moves by under 1 %, bench/hed_rounding.py)',
          'int8': 'convolution weights rounded to int8 with one scale per output channel for the transfer, biases exact (features move by '
                  '1 %; FD-HEDVGG16 of the default 518.4 -> 519.5 against 112.7 between two halves of the photos, bench/hed_rounding.py)'}

def _int8(v:np.ndarray):
    "(q, scale): symmetric int8 with one float32 scale per output channel (dim 0); q * scale is the rounded tensor."
    s = (np.abs(v.reshape(len(v), -1)).max(1) / 127).astype('<f4')
    s = np.where(s > 0, s, np.float32(1))  # an all-zero channel: any scale
    q = np.clip(np.rint(v / s.reshape(-1, *[1] * (v.ndim - 1))), -127, 127).astype(np.int8)
    return q, s

def _deq(q:np.ndarray, s:np.ndarray) -> np.ndarray:
    "The float32 tensor an int8 `q` with per-channel scales `s` stands for: the same operation on both sides of the trip."
    return q.astype('<f4') * s.reshape(-1, *[1] * (q.ndim - 1))

def _round_int8(v):
    import torch
    a = v.numpy().astype('<f4')
    return torch.from_numpy(_deq(*_int8(a)) if a.ndim >= 2 else a)  # biases and norms stay exact

ROUNDERS = {'fp16': lambda v: v.half().float(), 'bf16': lambda v: v.bfloat16().float(),  # to nearest, ties to even; still float32
            'int8': _round_int8}

def pack_hed(src, out, rounding=None):
    import torch
    sd = torch.load(src, map_location='cpu', weights_only=True)
    if rounding not in (None, *ROUNDERS): sys.exit(f"pack-hed: --round {rounding!r}: expected fp16, bf16 or int8")
    if rounding == 'int8':  # int8 codes of the weights, then (shuffled by byte significance) their scales and the exact biases
        qs = {k: _int8(v.numpy().astype('<f4')) for k, v in sd.items() if v.ndim >= 2}
        sd = {k: torch.from_numpy(_deq(*qs[k])) if k in qs else v.float() for k, v in sd.items()}  # what unpack_hed gives back
        floats = b''.join(qs[k][1].tobytes() if k in qs else v.numpy().astype('<f4').tobytes() for k, v in sd.items())
        shuffled = b''.join(q.tobytes() for q, _ in qs.values()) + np.frombuffer(floats, np.uint8).reshape(-1, 4).T.copy().tobytes()
        w = 'int8'
    else:
        if rounding: sd = {k: ROUNDERS[rounding](v) for k, v in sd.items()}  # stored as fp16 bytes / the top half of each float32
        raw = b''.join(v.contiguous().numpy().astype('<f2' if rounding == 'fp16' else '<f4').tobytes() for v in sd.values())
        if rounding == 'bf16': raw = (np.frombuffer(raw, '<u4') >> 16).astype('<u2').tobytes()  # the low halves are all zero
        w = 2 if rounding else 4
        shuffled = np.frombuffer(raw, np.uint8).reshape(-1, w).T.copy().tobytes()
    meta = {k: [str(v.dtype).removeprefix('torch.'), list(v.shape)] for k, v in sd.items()}
    note = _ROUND[rounding] if rounding else 'lossless'
    head = json.dumps({'tensors': meta, 'sha256': _digests(sd), 'bytes_per_value': w, 'round': rounding, 'note': note}).encode()
    tmp = Path(str(out) + '.tmp')
    with open(tmp, 'wb') as f: f.write(len(head).to_bytes(8, 'little') + head + lzma.compress(shuffled, preset=6))
    tmp.replace(out)
    print(f"pack-hed: {len(sd)} tensors -> {out} ({os.path.getsize(out) / 2**20:.1f} MiB; {note})")

def hed_header(src):
    "The JSON header `pack_hed` wrote at the front of SRC (tensors, digests, rounding, note), and where the packed bytes start."
    with open(src, 'rb') as f: n = int.from_bytes(f.read(8), 'little'); return json.loads(f.read(n)), 8 + n

def unpack_hed(src, out):
    import torch
    head, start = hed_header(src)
    with open(src, 'rb') as f: f.seek(start); data = f.read()  # the packed bytes, read once
    w, raw = head.get('bytes_per_value', 4), lzma.decompress(data)
    if w == 'int8':  # the int8 codes, then the shuffled float32 scales and biases (pack_hed's layout)
        shapes = {k: shape for k, (dt, shape) in head['tensors'].items()}
        nq = sum(int(np.prod(sh)) for sh in shapes.values() if len(sh) >= 2)
        q, fl = np.frombuffer(raw[:nq], np.int8), np.frombuffer(raw[nq:], np.uint8).reshape(4, -1).T.copy().view('<f4').ravel()
        sd, i, j = {}, 0, 0
        for k, sh in shapes.items():
            if len(sh) >= 2:
                c = int(np.prod(sh)); sd[k] = torch.from_numpy(_deq(q[i:i + c].reshape(sh), fl[j:j + sh[0]]).copy()); i += c; j += sh[0]
            else: c = int(np.prod(sh)); sd[k] = torch.from_numpy(fl[j:j + c].reshape(sh).copy()); j += c
        if i != nq: sys.exit(f"unpack-hed: {src}: {i} of {nq} int8 codes read")
        flat, i = fl, j  # every float read, checked below
    else:
        flat = np.frombuffer(raw, np.uint8).reshape(w, -1).T.copy()
        if head.get('round') == 'bf16': flat = (flat.view('<u2').ravel().astype('<u4') << 16).view('<f4')
        else: flat = flat.view('<f2' if w == 2 else '<f4').ravel().astype('<f4')
        sd, i = {}, 0
        for k, (dt, shape) in head['tensors'].items():
            assert dt == 'float32', f"{k}: {dt}"
            c = int(np.prod(shape)); sd[k] = torch.from_numpy(flat[i:i + c].reshape(shape).copy()); i += c
    bad = [k for k, h in _digests(sd).items() if h != head['sha256'][k]]
    if bad or i != flat.size: sys.exit(f"unpack-hed: {src}: {len(bad)} tensors differ from the packed ones")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(sd, str(out) + '.tmp'); os.replace(str(out) + '.tmp', out)
    print(f"unpack-hed: {len(sd)} tensors, all SHA-256 equal -> {out} ({head.get('note', 'lossless')})")

def _stroke(args):
    root, name = args
    from cali_sketch.prepare import write_strokes, unpack_edges
    write_strokes(root, name, *unpack_edges(Image.open(root/'edges'/f'{name}.png').convert('RGB')))

def strokes(root, workers=None):
    from cali_sketch.prepare import strokes_path
    root = Path(root); m = json.loads((root/'prepared.json').read_text())
    todo = [(root, s['name']) for s in m['samples'] if not strokes_path(root, s['name']).is_file()]
    with Pool(workers or min(16, os.cpu_count() or 1)) as p: p.map(_stroke, todo, chunksize=16)
    print(f"strokes: {len(todo)} faces traced in {root} ({len(m['samples']) - len(todo)} had them)")

CHUNK = 15_000_000
_NOTE = 'weights rounded to fp16 for the transfer back from the GPU machine (relative error <= 2^-11)'

def pack_export(src, prefix):
    from safetensors import safe_open
    from safetensors.torch import save
    import torch
    with safe_open(src, 'pt') as f: meta, sd = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    sd = {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    blob = save(sd, metadata={**meta, 'transport': json.dumps(_NOTE)})
    parts = [blob[i:i + CHUNK] for i in range(0, len(blob), CHUNK)]
    for i, b in enumerate(parts): Path(f'{prefix}.part{i}').write_bytes(b)
    print(f"pack-export: {len(sd)} tensors -> {len(parts)} parts {prefix}.part* ({len(blob) / 1e6:.1f} MB)")

def unpack_export(prefix, out):
    from safetensors.torch import load, save
    import torch
    parts = sorted(Path(prefix).parent.glob(Path(prefix).name + '.part*'), key=lambda p: int(p.suffix[5:]))
    blob = b''.join(p.read_bytes() for p in parts)
    from safetensors import safe_open
    tmp = Path(str(out) + '.fp16'); tmp.write_bytes(blob)
    with safe_open(tmp, 'pt') as f: meta = f.metadata()
    sd = {k: v.float() if v.is_floating_point() else v for k, v in load(blob).items()}
    Path(out).write_bytes(save(sd, metadata=meta)); tmp.unlink()
    j = {k: json.loads(v) for k, v in meta.items()}
    Path(out).with_suffix('.json').write_text(json.dumps(j, indent=1))
    print(f"unpack-export: {len(parts)} parts, {len(sd)} tensors -> {out} (fp32; {_NOTE})")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0]); sp = ap.add_subparsers(dest='cmd', required=True)
    p = sp.add_parser('pack-data'); p.add_argument('src'); p.add_argument('out'); p.add_argument('--format', choices=['webp', 'jpeg'], default='webp')
    p.add_argument('--quality', type=int, help='default: 80 for WebP, 90 for JPEG'); p.add_argument('--n', type=int); p.add_argument('--max-mib', type=float)
    p.add_argument('--subsampling', type=int, choices=[0, 1, 2], default=0, help='JPEG chroma: 0 4:4:4, 1 4:2:2, 2 4:2:0')
    p = sp.add_parser('pack-hed'); p.add_argument('src'); p.add_argument('out'); p.add_argument('--round', choices=['fp16', 'bf16', 'int8'])
    for c in ('unpack-data', 'unpack-hed', 'pack-export', 'unpack-export'): p = sp.add_parser(c); p.add_argument('src'); p.add_argument('out')
    p = sp.add_parser('strokes'); p.add_argument('src'); p.add_argument('--workers', type=int)
    a = ap.parse_args()
    {'pack-data': lambda: pack_data(a.src, a.out, a.quality, a.n, a.subsampling, a.format, a.max_mib), 'unpack-data': lambda: unpack_data(a.src, a.out),
     'pack-hed': lambda: pack_hed(a.src, a.out, a.round), 'unpack-hed': lambda: unpack_hed(a.src, a.out), 'strokes': lambda: strokes(a.src, a.workers),
     'pack-export': lambda: pack_export(a.src, a.out), 'unpack-export': lambda: unpack_export(a.src, a.out)}[a.cmd]()
