"""Latency of the S -> R -> P viewer: time from a control change to updated pictures.

    python bench/widget_latency.py [--repeats 5] [--sizes 128 256] [--device cpu|cuda|all]

For the paper networks (ModelConfig()) and the small demo ones (ModelConfig.small()), at each size, batch 1:
  - 'new S'      : a slider of the sketch synthesis moves -> human_sketch (chapter 05, the default style) + G1 + G2 +
                   PNG encoding (what a user waits for);
  - 'drawn S'    : a real freehand drawing (tests/data/freehand, a different one each time) through the pipeline with
                   the normalisation every real sketch gets (read, binarise, thin, trace, re-draw) + G1 + G2, as the
                   sketch pad, the ablation viewer and `cali-sketch infer` run it;
  - 'G2 only'    : the "calibrate" checkbox flips -> cached R or S, G2 reruns;
  - 'level'      : the level slider of a level-conditioned G1 (chapter 45) moves -> G1 + G2 rerun on the same S;
  - 'plain fwd'  : the reference, G1+G2 forward with spectral-norm parametrizations in place, under no_grad;
  - 'pipe NCHW' / 'pipe NHWC': the pipeline's own networks (spectral norm folded, inference_mode) on the same S, in
                   each memory format; `CaliSketch` uses NHWC on CUDA by default;
  - 'outside'    : an update's own work, outside the networks, for 'new S' / 'G2 only': its time minus the time spent
                   in G1's and G2's forward passes in that same update (timed around them, synchronised on CUDA, in
                   extra updates after the ones above). The goal of < 20 ms at 256 on a GPU leaves little room for it.
Targets (2-core CPU, paper networks, a control that changes S, synthetic or drawn, or the level): < 0.25 s at 128, < 1 s at 256.
Networks are untrained (random init): latency does not depend on the weights' values.
"""
import os, sys, time, argparse, statistics, dataclasses
import numpy as np
import torch

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--sizes', type=int, nargs='+', default=[128, 256])
    ap.add_argument('--device', default='all', help="'cpu', 'cuda' or 'all' (cpu, and cuda when present)")
    a = ap.parse_args(argv)
    torch.set_num_threads(os.cpu_count())
    from cali_sketch.models import ModelConfig, G1, G2
    from cali_sketch.corrupt import toy_face_edges
    from cali_sketch.pipeline import CaliSketch
    from cali_sketch.viewer import scn_isn_viewer
    devs = ['cpu', 'cuda'] if a.device == 'all' else [a.device]
    devs = [d for d in devs if d != 'cuda' or torch.cuda.is_available()]
    targets = {128: 0.25, 256: 1.0}
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU threads, load average {load:.1f}"
          + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ''))
    from pathlib import Path
    from PIL import Image
    drawn = [Image.open(p).convert('L') for p in sorted((Path(__file__).resolve().parents[1]/'tests'/'data'/'freehand').glob('*.png'))]
    print(f"{'device':6} {'config':6} {'size':>4} | {'new S (s)':>10} {'drawn S (s)':>11} {'G2 only (s)':>11} {'level (s)':>9} {'plain fwd (s)':>13} {'pipe NCHW':>10} {'pipe NHWC':>10} "
          f"{'default':>7} {'outside (ms)':>13} | target (paper, new S)")
    for dev in devs:
        for cname, cfg in (('paper', ModelConfig()), ('small', ModelConfig.small())):
            for size in a.sizes:
                gc, ld = toy_face_edges(size, 0)
                face = (np.full((size, size, 3), 200, np.uint8), gc, ld)
                pipe = CaliSketch.random(cfg, size=size, device=dev)
                v = scn_isn_viewer(pipe, {'face': face})
                sync = (lambda: torch.cuda.synchronize()) if dev == 'cuda' else (lambda: None)
                clock = {'on': False, 'net': 0.}  # time inside the networks' forward passes, when on
                for net in (pipe.g1, pipe.g2):
                    def fwd(*args, f=net.forward, **kw):
                        if not clock['on']: return f(*args, **kw)
                        sync(); t = time.perf_counter(); y = f(*args, **kw); sync(); clock['net'] += time.perf_counter() - t
                        return y
                    net.forward = fwd
                def outside(change):  # an update's time minus its time in the networks, s
                    clock.update(on=True, net=0.); t = timed(change); clock['on'] = False
                    return t - clock['net']
                def timed(f):
                    sync(); t = time.perf_counter(); f(); sync(); return time.perf_counter() - t
                for _ in range(2): v.seed.value = v.seed.value + 1  # warm-up
                new_s = [timed(lambda: setattr(v.seed, 'value', v.seed.value + 1)) for _ in range(a.repeats)]
                g2 = [timed(lambda: setattr(v.calibrate, 'value', not v.calibrate.value)) for _ in range(a.repeats)]
                out_s = [outside(lambda: setattr(v.seed, 'value', v.seed.value + 1)) for _ in range(a.repeats)]
                out_g2 = [outside(lambda: setattr(v.calibrate, 'value', not v.calibrate.value)) for _ in range(a.repeats)]
                pipe(drawn[0]); dr = [timed(lambda k=k: pipe(drawn[(k + 1) % len(drawn)])) for k in range(a.repeats)]
                lp = CaliSketch.random(dataclasses.replace(cfg, level=True), size=size, device=dev)
                with torch.no_grad():  # untrained level parameters are zero: R would not change and G2 would be cached
                    for mm in lp.g1.modules():
                        if hasattr(mm, 'gamma'): mm.gamma.normal_(0, 0.5); mm.beta.normal_(0, 0.5)
                vl = scn_isn_viewer(lp, {'face': face})
                vl.level.value = 0.4; lv = [timed(lambda k=k: setattr(vl.level, 'value', 0.25 + 0.05 * (k % 10))) for k in range(a.repeats)]
                g1r, g2r = G1(cfg).eval().to(dev), G2(cfg).eval().to(dev)
                x = torch.from_numpy(v.S)[None, None].to(dev)
                with torch.no_grad():
                    g2r(g1r(x)); plain = [timed(lambda: g2r(g1r(x))) for _ in range(a.repeats)]
                fmt = {}
                for cl in (False, True):  # the pipeline's folded networks, NCHW then NHWC
                    p = CaliSketch(pipe.g1, pipe.g2, size, dev, channels_last=cl)
                    xi = x.contiguous(memory_format=torch.channels_last) if cl else x
                    with torch.inference_mode():
                        p.g2(p.g1(xi)); fmt[cl] = [timed(lambda: p.g2(p.g1(xi))) for _ in range(a.repeats)]
                m = statistics.median
                tgt = targets.get(size) if cname == 'paper' and dev == 'cpu' else None
                verdict = '' if tgt is None else f"< {tgt} s: {'MET' if max(m(new_s), m(dr), m(lv)) < tgt else 'MISSED'}"
                dflt = 'NHWC' if pipe.channels_last else 'NCHW'
                print(f"{dev:6} {cname:6} {size:4d} | {m(new_s):10.3f} {m(dr):11.3f} {m(g2):11.3f} {m(lv):9.3f} {m(plain):13.3f} {m(fmt[False]):10.3f} {m(fmt[True]):10.3f} "
                      f"{dflt:>7} {1000 * m(out_s):6.1f} / {1000 * m(out_g2):4.1f} | {verdict}", flush=True)

if __name__ == '__main__': sys.exit(main())
