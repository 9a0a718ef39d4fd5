#!/usr/bin/env python3
"""Ship prepared faces and the HED weights to the lent GPU machine, whose upload limit (64 MiB) they exceed as they are.

  pack-data PREPARED OUT.npz [--quality Q]   photos as JPEG (quality Q, 4:4:4), edge maps bit-packed (lossless)
  unpack-data IN.npz PREPARED                 back to a prepared folder (PNG files + prepared.json, which records the transport)
  pack-data PREPARED OUT.npz --n N            only the first N faces (by name): a val subset
  pack-hed WEIGHTS.pth OUT.xz [--fp16]        HED state dict, bytes shuffled by significance then xz (lossless; --fp16: rounded, half the size)
  unpack-hed IN.xz WEIGHTS.pth                back to a float32 state dict; checks every tensor's SHA-256 against the packed one
  strokes PREPARED [--workers N]              trace the strokes of every face that lacks them (what `cali-sketch prepare`
                                              adds to an old folder), in N processes: they are not carried, they are remade
  pack-export W.safetensors PREFIX            exported weights back from the GPU machine (64 MiB, 16 MiB a file): fp16, in parts
  unpack-export PREFIX W.safetensors          the parts joined, back to fp32; the file and its JSON record the fp16 rounding

Only the photos lose anything (JPEG re-encoding of 128x128 PNGs that were themselves decoded from CelebA's JPEGs);
prepared.json says so under "transport". Edges and weights come back bit-identical.
"""
import argparse, hashlib, io, json, lzma, os, sys
from multiprocessing import Pool
from pathlib import Path
import numpy as np
from PIL import Image

def pack_data(src, out, quality=90, n=None, subsampling=0):
    src = Path(src); m = json.loads((src/'prepared.json').read_text())
    if m.get('status') != 'complete': sys.exit(f"pack-data: {src}/prepared.json: status {m.get('status')!r}, expected 'complete'")
    if n: m['samples'] = sorted(m['samples'], key=lambda s: s['name'])[:n]
    names = [s['name'] for s in m['samples']]
    jpgs, edges = [], []
    for n in names:
        b = io.BytesIO(); Image.open(src/'photos'/f'{n}.png').convert('RGB').save(b, 'JPEG', quality=quality, subsampling=subsampling); jpgs.append(b.getvalue())
        edges.append(np.asarray(Image.open(src/'edges'/f'{n}.png')))
    e = np.stack(edges); off = np.cumsum([0] + [len(j) for j in jpgs])
    m['transport'] = f"photos re-encoded as JPEG quality {quality} ({('4:4:4', '4:2:2', '4:2:0')[subsampling]}) to fit the GPU machine's upload limit; edges lossless"
    np.savez_compressed(out, manifest=np.frombuffer(json.dumps(m).encode(), np.uint8), jpg=np.frombuffer(b''.join(jpgs), np.uint8),
             off=off, edge_shape=np.array(e.shape), edge_bits=np.packbits(e > 0))
    print(f"pack-data: {len(names)} faces from {src} -> {out} ({os.path.getsize(out) / 1e6:.1f} MB)")

def _write(args):
    root, n, jpg, edge = args
    Image.open(io.BytesIO(jpg)).convert('RGB').save(root/'photos'/f'{n}.png')
    Image.fromarray(edge).save(root/'edges'/f'{n}.png')

def unpack_data(src, out):
    z = np.load(src); m = json.loads(z['manifest'].tobytes()); out = Path(out)
    (out/'photos').mkdir(parents=True, exist_ok=True); (out/'edges').mkdir(parents=True, exist_ok=True)
    e = (np.unpackbits(z['edge_bits'])[:int(np.prod(z['edge_shape']))].reshape(z['edge_shape']) * 255).astype(np.uint8)
    jpg, off = z['jpg'].tobytes(), z['off']
    jobs = [(out, s['name'], jpg[off[i]:off[i + 1]], e[i]) for i, s in enumerate(m['samples'])]
    with Pool(min(16, os.cpu_count() or 1)) as p: p.map(_write, jobs, chunksize=64)
    tmp = out/'prepared.json.tmp'; tmp.write_text(json.dumps(m, indent=1)); tmp.replace(out/'prepared.json')
    print(f"unpack-data: {len(jobs)} faces -> {out}")

def _digests(sd): return {k: hashlib.sha256(v.numpy().tobytes()).hexdigest() for k, v in sd.items()}

def pack_hed(src, out, fp16=False):
    import torch
    sd = torch.load(src, map_location='cpu', weights_only=True)
    if fp16: sd = {k: v.half().float() for k, v in sd.items()}  # rounded; stored as the fp16 bytes, restored to float32
    meta = {k: [str(v.dtype).removeprefix('torch.'), list(v.shape)] for k, v in sd.items()}
    w = 2 if fp16 else 4
    raw = b''.join(v.contiguous().numpy().astype('<f2' if fp16 else '<f4').tobytes() for v in sd.values())
    shuffled = np.frombuffer(raw, np.uint8).reshape(-1, w).T.copy().tobytes()
    head = json.dumps({'tensors': meta, 'sha256': _digests(sd), 'bytes_per_value': w,
                       'note': 'rounded to fp16 for the transfer (relative error <= 2^-11)' if fp16 else 'lossless'}).encode()
    with open(out, 'wb') as f: f.write(len(head).to_bytes(8, 'little') + head + lzma.compress(shuffled, preset=6))
    print(f"pack-hed: {len(sd)} tensors -> {out} ({os.path.getsize(out) / 1e6:.1f} MB)")

def unpack_hed(src, out):
    import torch
    data = Path(src).read_bytes(); n = int.from_bytes(data[:8], 'little'); head = json.loads(data[8:8 + n])
    w = head.get('bytes_per_value', 4)
    flat = np.frombuffer(lzma.decompress(data[8 + n:]), np.uint8).reshape(w, -1).T.copy().view('<f2' if w == 2 else '<f4').ravel().astype('<f4')
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
    p = sp.add_parser('pack-data'); p.add_argument('src'); p.add_argument('out'); p.add_argument('--quality', type=int, default=90); p.add_argument('--n', type=int); p.add_argument('--subsampling', type=int, choices=[0, 1, 2], default=0, help='JPEG chroma: 0 4:4:4, 1 4:2:2, 2 4:2:0')
    p = sp.add_parser('pack-hed'); p.add_argument('src'); p.add_argument('out'); p.add_argument('--fp16', action='store_true')
    for c in ('unpack-data', 'unpack-hed', 'pack-export', 'unpack-export'): p = sp.add_parser(c); p.add_argument('src'); p.add_argument('out')
    p = sp.add_parser('strokes'); p.add_argument('src'); p.add_argument('--workers', type=int)
    a = ap.parse_args()
    {'pack-data': lambda: pack_data(a.src, a.out, a.quality, a.n, a.subsampling), 'unpack-data': lambda: unpack_data(a.src, a.out),
     'pack-hed': lambda: pack_hed(a.src, a.out, a.fp16), 'unpack-hed': lambda: unpack_hed(a.src, a.out), 'strokes': lambda: strokes(a.src, a.workers),
     'pack-export': lambda: pack_export(a.src, a.out), 'unpack-export': lambda: unpack_export(a.src, a.out)}[a.cmd]()
