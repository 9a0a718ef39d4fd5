#!/usr/bin/env python3
"""Training throughput of each Cali-Sketch stage: the fast path against a plain fp32 eager step, in the same run.

What is timed is the real training step, not a copy of it: each stage (scn.SCNStage, isn.ISNStage, joint.JointStage)
builds its networks and a `learner.Learner` from a `scn.RunConfig`, and the benchmark calls the learner's own step
(`Learner._one_step`: `stage.step` = D step then G step with every loss -- LSGAN, calibration feature matching,
L1, VGG perceptual, Gram style, TV -- followed by the per-step loss read-back the training loop does). Batches are
random synthetic tensors already on the device (the data loader is not measured). Two configurations per stage:

  baseline  precision fp32, NCHW, eager, cudnn.benchmark off
  fast      bf16 autocast + channels_last (+ torch.compile of the networks with --compile) + cudnn.benchmark (CUDA)

"fp32" here is PyTorch's default fp32, and on Ampere and later GPUs that default runs convolutions on TF32 tensor
cores (torch.backends.cudnn.allow_tf32 is True; matmuls stay IEEE fp32). The header says which the baseline had.
With --strict-fp32 each stage is also timed with TF32 off for convolutions and matmuls (IEEE fp32 throughout), a
third row with its own ratio; the goal is still judged against the default baseline. On CPU TF32 does not exist and
that row times the same arithmetic as the baseline.

Warm-up steps (which include compilation) are excluded; CUDA timings are bracketed by torch.cuda.synchronize.
Peak memory: torch.cuda.max_memory_allocated over the timed steps on CUDA; on CPU the process's peak RSS over the
timed steps above its RSS before the networks were built (Linux VmHWM, reset through /proc/self/clear_refs), which
is approximate (the allocator keeps freed memory). The perceptual/style backbone defaults to a randomly initialised
VGG-19 (same architecture as the ImageNet one): the time of a step does not depend on weight values.

Goals (issue 4, GPU only): on an H100, batch 16, 256x256, the joint stage's fast step at least 2.5x the fp32 eager
step, with peak GPU memory at most 8 GiB.

    python bench/train_throughput.py --compile                       # GPU: paper model, 256x256, batch 16
    python bench/train_throughput.py --device cpu --size 32 --batch-size 2 --steps 2 --warmup 1 --model small
"""
from __future__ import annotations
import argparse, contextlib, ctypes, gc, io, json, math, os, platform, sys, time, warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout too (no pip install -e)

import torch
from torch.utils.data import Dataset, default_collate

GOAL_RATIO, GOAL_MEM_GIB, GOAL_BS, GOAL_SIZE = 2.5, 8.0, 16, 256
STAGE_NAMES = ('scn', 'isn', 'joint')
GiB = 2**30

class SyntheticFaces(Dataset):
    "Random stand-ins for prepared faces: photo (3,s,s) in [0,1]; sparse 0/1 edge maps gc, ld, gt = gc|ld and sketch S."
    def __init__(self, n:int, size:int, seed:int=0): self.n, self.size, self.seed = n, size, seed
    def __len__(self): return self.n
    def __getitem__(self, i):
        g, s = torch.Generator().manual_seed(self.seed * 100003 + i), self.size
        photo = torch.rand(3, s, s, generator=g)
        gc_, ld = (torch.rand(1, s, s, generator=g) < 0.06).float(), (torch.rand(1, s, s, generator=g) < 0.04).float()
        sketch = (torch.rand(1, s, s, generator=g) < 0.08).float()
        return dict(photo=photo, gc=gc_, ld=ld, gt=torch.maximum(gc_, ld), sketch=sketch, index=i)

# ---- memory -------------------------------------------------------------------------------------------------------
def _status_kib(field:str) -> int|None:
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(field + ':'): return int(line.split()[1])
    except OSError: pass
    return None

def _reset_cpu_peak() -> bool:
    "Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False where that is not possible."
    try:
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        return _status_kib('VmHWM') is not None
    except OSError: return False

def _trim():
    gc.collect()
    if torch.cuda.is_available(): torch.cuda.empty_cache()
    with contextlib.suppress(Exception): ctypes.CDLL('libc.so.6').malloc_trim(0)  # give freed heap back: fairer RSS

class PeakMemory:
    "Peak memory of the code run between `start()` and `stop()` (bytes), and a label saying what was measured."
    def __init__(self, device:torch.device): self.device = device
    def before_build(self):
        self.rss0 = _status_kib('VmRSS')
    def start(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device); torch.cuda.reset_peak_memory_stats(self.device)
            self.label = 'torch.cuda.max_memory_allocated over the timed steps'
        elif self.rss0 is not None and _reset_cpu_peak():
            self.label = 'CPU: peak RSS over the timed steps minus RSS before the networks were built (VmHWM; approximate)'
        else:
            import resource
            self.ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.label = 'CPU: growth of the process peak RSS (ru_maxrss) during the timed steps (a lower bound)'
    def stop(self) -> int:
        if self.device.type == 'cuda': return torch.cuda.max_memory_allocated(self.device)
        if self.label.startswith('CPU: peak RSS'): return max(0, _status_kib('VmHWM') - self.rss0) * 1024
        import resource
        unit = 1 if sys.platform == 'darwin' else 1024
        return max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.ru0) * unit

# ---- one measurement ----------------------------------------------------------------------------------------------
_SEEN_NOTES = set()

def _quietly(fn):
    "Run `fn()`, printing each distinct fallback banner it writes to stderr once (the stage builds its backbone every time)."
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = fn()
    text = buf.getvalue().strip()
    if text and text not in _SEEN_NOTES: _SEEN_NOTES.add(text); print(text, file=sys.stderr)
    return out

def _sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)

def fast_label(device:torch.device, compile:bool) -> str:
    return 'bf16 autocast + channels_last' + (' + torch.compile' if compile else '') + (' + cudnn.benchmark' if device.type == 'cuda' else '')

def tf32_state() -> dict:
    "Whether fp32 convolutions (cuDNN) and matmuls (cuBLAS) may use TF32 tensor cores right now (they only do on CUDA)."
    return dict(conv=bool(torch.backends.cudnn.allow_tf32), matmul=bool(torch.backends.cuda.matmul.allow_tf32))

@contextlib.contextmanager
def strict_fp32():
    "TF32 off for convolutions and matmuls inside (IEEE fp32 arithmetic); the caller's settings are restored after."
    old = tf32_state()
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try: yield
    finally: torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old['conv'], old['matmul']

def baseline_label(device:torch.device, strict:bool=False) -> str:
    if device.type != 'cuda': return 'fp32 eager (NCHW' + (', TF32 off: no TF32 on CPU)' if strict else ')')
    t = tf32_state()
    tf = 'TF32 off' if strict else f"TF32 convs {'on' if t['conv'] else 'off'}, matmuls {'on' if t['matmul'] else 'off'}"
    return f'fp32 eager (NCHW, {tf}, cudnn.benchmark off)'

def measure(stage_name:str, fast:bool, a, device:torch.device, model_cfg, strict:bool=False) -> dict:
    "Build `stage_name` (fp32 eager, or the fast path), run warm-up steps, then time `a.steps` real training steps."
    if strict:
        with strict_fp32(): r = measure(stage_name, fast, a, device, model_cfg)
        r['config'] = baseline_label(device, strict=True); return r
    from cali_sketch.scn import RunConfig, SCNStage
    from cali_sketch.isn import ISNStage
    from cali_sketch.joint import JointStage
    from cali_sketch.learner import to_device
    compile = fast and a.compile
    if device.type == 'cuda': torch.backends.cudnn.benchmark = fast
    if a.compile: torch._dynamo.reset()  # compile afresh per stage (no shared recompile limit); drop graphs holding old weights
    _trim()
    mem = PeakMemory(device); mem.before_build()
    torch.manual_seed(a.seed)
    cfg = RunConfig(stage=stage_name, model=model_cfg, backbone=a.backbone, vgg19_weights=a.vgg19_weights or '',
                    batch_size=a.batch_size, device=str(device), seed=a.seed, precision='bf16' if fast else 'fp32',
                    channels_last=fast, compile=compile, out=str(Path(a.tmp)/stage_name))
    stage = {'scn': SCNStage, 'isn': ISNStage, 'joint': lambda c: JointStage(c, init=False)}[stage_name](cfg)
    data = SyntheticFaces(a.batch_size, a.size, a.seed)
    learn = _quietly(lambda: stage.learner(data, progress=False, default_cbs=False))  # no logging, checkpoints or grids
    stage.before_fit(learn)  # what Learner.fit does first: loss buffers and the feature extractor to the device
    learn.batch = to_device(default_collate([data[i] for i in range(a.batch_size)]), device, False, cfg.channels_last)
    for m in learn.models.values(): m.train()
    _sync(device); t = time.perf_counter()
    for _ in range(a.warmup): learn._one_step()
    _sync(device); warm_s = time.perf_counter() - t
    mem.start()
    t = time.perf_counter()
    for _ in range(a.steps): learn._one_step()  # the loop's own step: stage.step (D then G) + loss read-back
    _sync(device); dt = time.perf_counter() - t
    peak = mem.stop()
    losses = dict(learn.losses)
    del learn, stage
    if compile: torch._dynamo.reset()
    _trim()
    return dict(images_per_s=a.steps * a.batch_size / dt, ms_per_step=1000 * dt / a.steps, peak_bytes=peak,
                peak_gib=peak / GiB, memory=mem.label, warmup_s=warm_s, losses=losses,
                losses_finite=all(math.isfinite(v) for v in losses.values()),
                config=baseline_label(device) if not fast else fast_label(device, compile))

# ---- report -------------------------------------------------------------------------------------------------------
def _mem(b:int, cuda:bool) -> str:
    return f"{b / GiB:.2f} GiB" if b >= GiB / 4 or cuda else f"{b / 2**20:.0f} MiB"

def goal_verdict(res:dict, device:torch.device, a) -> dict:
    "The issue's goals against this run's joint numbers; on CPU (or another setting) they are stated, not judged."
    j = res.get('joint')
    d = dict(ratio_goal=GOAL_RATIO, peak_gib_goal=GOAL_MEM_GIB, batch_size=GOAL_BS, size=GOAL_SIZE, applies=False)
    if j is None: d['note'] = 'the joint stage was not run'; return d
    if device.type != 'cuda':
        d['note'] = 'the goals apply to a GPU (H100): not judged on CPU'; return d
    name = torch.cuda.get_device_name(device)
    d.update(device_name=name, ratio=j['speedup'], peak_gib=j['fast']['peak_gib'],
             ratio_met=j['speedup'] >= GOAL_RATIO, peak_met=j['fast']['peak_gib'] <= GOAL_MEM_GIB)
    if 'speedup_strict' in j: d['ratio_strict'] = j['speedup_strict']
    if (a.batch_size, a.size) != (GOAL_BS, GOAL_SIZE) or a.model != 'paper':
        d['note'] = f'the goals are defined for the paper model at batch {GOAL_BS}, {GOAL_SIZE}x{GOAL_SIZE}; this run differs'
    elif 'H100' not in name: d['note'] = f'the goals are defined on an H100; this is {name}'
    else: d['applies'] = True
    return d

def table(res:dict, device:torch.device) -> str:
    cuda = device.type == 'cuda'
    rows = ["| stage | configuration | images/s | ms/step | peak memory | fast/baseline speed | fast/baseline memory |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for s, r in res.items():
        b, f = r['baseline'], r['fast']
        rows.append(f"| {s} | {b['config']} | {b['images_per_s']:.1f} | {b['ms_per_step']:.1f} | {_mem(b['peak_bytes'], cuda)} | 1.00x | 1.00x |")
        rows.append(f"| {s} | {f['config']} | {f['images_per_s']:.1f} | {f['ms_per_step']:.1f} | {_mem(f['peak_bytes'], cuda)} | "
                    f"**{r['speedup']:.2f}x** | {'n/a' if r['mem_ratio'] is None else format(r['mem_ratio'], '.2f') + 'x'} |")
        if st := r.get('strict'):  # informational: the goal is judged against the default baseline above
            rows.append(f"| {s} | {st['config']} | {st['images_per_s']:.1f} | {st['ms_per_step']:.1f} | {_mem(st['peak_bytes'], cuda)} | "
                        f"fast/this {r['speedup_strict']:.2f}x | |")
    return '\n'.join(rows)

def goal_lines(g:dict) -> list[str]:
    want = f"joint fast step >= {GOAL_RATIO}x the fp32 eager step and peak GPU memory <= {GOAL_MEM_GIB:g} GiB (paper model, batch {GOAL_BS}, {GOAL_SIZE}x{GOAL_SIZE}, H100)"
    if 'ratio' not in g: return [f"Goal: {want}. {g['note'][0].upper() + g['note'][1:]}."]
    ok = lambda b: 'met' if b else 'NOT met'
    out = [f"Goal: {want}.",
           f"This run: joint {g['ratio']:.2f}x ({ok(g['ratio_met'])}), peak {g['peak_gib']:.2f} GiB ({ok(g['peak_met'])}) on {g['device_name']}."]
    if g.get('note'): out.append(f"Note: {g['note']}.")
    if 'ratio_strict' in g: out.append(f"For reference, against IEEE fp32 (TF32 off) the joint fast step is {g['ratio_strict']:.2f}x; the goal is judged on the default baseline.")
    return out

# ---- command line -------------------------------------------------------------------------------------------------
def parse(argv=None):
    from cali_sketch.scn import BACKBONES
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='auto', help="'auto' (CUDA if present, else CPU), 'cuda', 'cuda:1', 'cpu'")
    ap.add_argument('--size', type=int, default=256, help='image side (default 256)')
    ap.add_argument('--batch-size', type=int, default=16, help='images per step (default 16)')
    ap.add_argument('--steps', type=int, default=20, help='timed steps per configuration (default 20)')
    ap.add_argument('--warmup', type=int, default=3, help='untimed steps first, compilation included (default 3)')
    ap.add_argument('--model', choices=['paper', 'small'], default='paper', help='paper architecture (default) or ModelConfig.small()')
    ap.add_argument('--stages', nargs='+', choices=list(STAGE_NAMES), default=list(STAGE_NAMES), help='default: scn isn joint')
    ap.add_argument('--backbone', choices=list(BACKBONES), default='random',
                    help="perceptual/style VGG: 'random' (default: VGG-19 architecture, random weights; timing does not depend on "
                         "weight values), 'vgg19' (ImageNet weights needed) or 'hed-vgg16'")
    ap.add_argument('--vgg19-weights', metavar='PATH', help="torchvision's vgg19-dcbb9e9d.pth for --backbone vgg19")
    ap.add_argument('--compile', action='store_true', help='fast path also torch.compiles the networks (as TrainConfig.compile does)')
    ap.add_argument('--strict-fp32', action='store_true',
                    help='also time each stage in IEEE fp32 (TF32 off for convolutions and matmuls): a third row, for reference')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', metavar='OUT', help='also write the results as JSON to OUT')
    a = ap.parse_args(argv)
    for k, lo in (('size', 32), ('batch_size', 1), ('steps', 1), ('warmup', 0)):
        if getattr(a, k) < lo: ap.error(f"--{k.replace('_', '-')} {getattr(a, k)}: must be >= {lo}")
    if a.size % 4: ap.error(f"--size {a.size}: must be a multiple of 4 (the generators downsample twice by 2)")
    if a.vgg19_weights and not Path(a.vgg19_weights).is_file(): ap.error(f"--vgg19-weights {a.vgg19_weights}: no such file")
    a.stages = [s for s in STAGE_NAMES if s in a.stages]
    return a, ap

def main(argv=None) -> int:
    a, ap = parse(argv)
    from cali_sketch.core import default_device, atomic_write
    from cali_sketch.models import ModelConfig
    try: device = default_device() if a.device == 'auto' else torch.device(a.device)
    except RuntimeError: ap.error(f"--device {a.device}: not a torch device")
    if device.type == 'cuda' and not torch.cuda.is_available(): ap.error(f"--device {a.device}: CUDA is not available here")
    if device.type not in ('cuda', 'cpu'): ap.error(f"--device {a.device}: only CUDA and CPU are supported by this benchmark")
    if a.compile and a.warmup < 2: print("warning: with --compile, fewer than 2 warm-up steps may leave compilation inside the timing", file=sys.stderr)
    import tempfile
    a.tmp = tempfile.mkdtemp(prefix='cali-bench-')  # RunConfig.out; nothing is written there (no callbacks)
    model_cfg = ModelConfig() if a.model == 'paper' else ModelConfig.small()
    dev_name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    print(f"# Cali-Sketch training throughput\n\ndevice: {dev_name}; torch {torch.__version__}; model: {a.model}; {a.size}x{a.size}, batch {a.batch_size}; "
          f"{a.steps} timed steps after {a.warmup} warm-up; synthetic random batches on the device")
    print(f"perceptual/style backbone: {a.backbone}" + (" (VGG-19 architecture, random weights: the timing does not depend on weight values)" if a.backbone == 'random' else ''))
    print(f"fast path: {fast_label(device, a.compile)}; baseline: {baseline_label(device)}; the same stage step (D step + G step, all losses)", flush=True)
    if device.type == 'cuda' and tf32_state()['conv']:
        print("note: PyTorch's default fp32 runs convolutions on TF32 tensor cores (torch.backends.cudnn.allow_tf32 = True), so the "
              "baseline already uses tensor cores" + ("; --strict-fp32 adds an IEEE fp32 row" if not a.strict_fp32 else ''))
    print(flush=True)
    # untimed, discarded: one step of the first stage, so that one-time library set-up (allocator pools, kernel caches,
    # cuDNN/cuBLAS handles, thread pools) is charged to neither configuration's time or memory
    try: measure(a.stages[0], False, argparse.Namespace(**{**vars(a), 'steps': 1, 'warmup': 0}), device, model_cfg)
    except FileNotFoundError as e:  # e.g. --backbone vgg19 without ImageNet weights: the stage's own message says what to do
        print(f"train_throughput: error: {e}", file=sys.stderr); return 1
    res = {}
    for s in a.stages:
        b = measure(s, False, a, device, model_cfg)
        print(f"{s}: baseline {b['images_per_s']:.1f} images/s", flush=True)
        f = measure(s, True, a, device, model_cfg)
        print(f"{s}: fast     {f['images_per_s']:.1f} images/s (warm-up {f['warmup_s']:.1f} s)", flush=True)
        res[s] = dict(baseline=b, fast=f, speedup=f['images_per_s'] / b['images_per_s'],
                      mem_ratio=f['peak_bytes'] / b['peak_bytes'] if b['peak_bytes'] else None)
        if a.strict_fp32:
            st = measure(s, False, a, device, model_cfg, strict=True)
            print(f"{s}: IEEE fp32 {st['images_per_s']:.1f} images/s", flush=True)
            res[s].update(strict=st, speedup_strict=f['images_per_s'] / st['images_per_s'])
    g = goal_verdict(res, device, a)
    print('\n' + table(res, device) + '\n')
    print(f"peak memory: {next(iter(res.values()))['baseline']['memory']}")
    for line in goal_lines(g): print(line)
    bad = [f"{s}/{k}" for s, r in res.items() for k in ('baseline', 'fast', 'strict') if k in r and not r[k]['losses_finite']]
    if bad: print(f"warning: non-finite losses in {bad}", file=sys.stderr)
    if a.json:
        out = dict(device=str(device), device_name=dev_name, torch=torch.__version__, model=a.model, size=a.size, batch_size=a.batch_size,
                   steps=a.steps, warmup=a.warmup, backbone=a.backbone, compile=a.compile, fast_path=fast_label(device, a.compile),
                   baseline=baseline_label(device), baseline_tf32=tf32_state() if device.type == 'cuda' else None,
                   backbone_note='timing does not depend on weight values' if a.backbone == 'random' else '',
                   stages=res, goal=g)
        with atomic_write(a.json, 'w') as fh: json.dump(out, fh, indent=1, default=float)
        print(f"wrote {a.json}")
    return 0

if __name__ == '__main__':
    sys.exit(main())
