"Data-parallel training with PyTorch DDP under torchrun: two CPU processes (gloo) train the toy GAN and end with identical replicas."
import os, shutil, socket, subprocess, sys, textwrap
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]
WORKER = textwrap.dedent('''
    import os, sys, torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from cali_sketch.learner import *
    from cali_sketch.toy import *
    from cali_sketch.checkpoint import export_weights
    out, rank = sys.argv[1], int(os.environ['RANK'])
    calls, ddp_forward = [], DistributedDataParallel.forward  # count the forwards that go through DDP
    DistributedDataParallel.forward = lambda self, *a, **k: calls.append(1) or ddp_forward(self, *a, **k)
    cfg = TrainConfig(steps=6, batch_size=4, log_every=1, ckpt_every=3, sample_every=3, device='cpu', out=out,
                      minutes=60, lr_decay=0.5)  # a budget: the decay's clock is rank 0's, sent to rank 1 before each step
    gens, discs = toy_gan(seed=rank)  # different inits on the two ranks: only DDP's broadcast at construction can equalise them
    own = {k: {n: t.clone() for n, t in m.state_dict().items()} for k, m in {**gens, **discs}.items()}
    learn = Learner(gens, discs, ToyStage(), ToyPairs(24), cfg, progress=False)
    init = {k: {n: t.clone() for n, t in m.state_dict().items()} for k, m in learn.models.items()}
    learn.fit()
    if rank == 0: export_weights(learn.models, cfg, os.path.join(out, 'toy.safetensors'))
    torch.save(dict(own=own, init=init, final={k: m.state_dict() for k, m in learn.models.items()}, ddp_forwards=len(calls),
                    wrapped={k: type(m).__name__ for k, m in learn.models.items()}, steps_per_epoch=learn.steps_per_epoch,
                    lrs={k: o.param_groups[0]['lr'] for k, o in learn.opts.items()}),
               os.path.join(out, f'rank{rank}.pt'))
    dist.destroy_process_group()
''')

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def test_two_process_ddp_replicas_stay_identical(tmp_path):
    (tmp_path/'worker.py').write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    cmd = lambda: [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
                   '--master_port', str(_free_port()), str(tmp_path/'worker.py'), str(tmp_path/'run')]
    r = subprocess.run(cmd(), capture_output=True, text=True, env=env, timeout=180)
    if r.returncode and 'terminate called without an active exception' in r.stderr:  # gloo's exit-time abort, seen under load
        shutil.rmtree(tmp_path/'run', ignore_errors=True)                          # once more, from scratch
        r = subprocess.run(cmd(), capture_output=True, text=True, env=env, timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path/'run'/f'rank{i}.pt', weights_only=True) for i in (0, 1))
    assert r0['wrapped'] == r1['wrapped'] == {'G': 'GanDDP', 'D': 'GanDDP'}
    assert r0['steps_per_epoch'] == 3  # 24 items sharded over 2 ranks, batches of 4
    # lr_decay 0.5 of 6 steps: the last step at 1/3 of the rates, the same on both replicas
    assert r0['lrs'] == r1['lrs'] and abs(r0['lrs']['G'] - 1e-4 / 3) < 1e-12 and abs(r0['lrs']['D'] - 1e-5 / 3) < 1e-13, (r0['lrs'], r1['lrs'])
    # the ranks built different weights; DDP's construction broadcast rank 0's parameters and buffers (spectral norm's u, v)
    assert any(not torch.equal(t, r1['own']['G'][k]) for k, t in r0['own']['G'].items()), "the two ranks should start different"
    for m in r0['final']:
        assert not any(k.startswith('module.') for k in r0['final'][m]), f"{m}: state dict keys carry DDP's 'module.' prefix"
        for k, t in r0['final'][m].items():
            assert torch.equal(r0['own'][m][k], r1['init'][m][k]), f"{m}.{k}: rank 0's value was not broadcast at construction"
            assert torch.equal(t, r1['final'][m][k]), f"{m}.{k} differs between the replicas after training"
    for m, k in (('G', '0.weight'), ('D', 'head.parametrizations.weight.original')):
        assert not torch.equal(r0['init'][m][k], r0['final'][m][k]), f"{m}.{k} did not train"
    # a DDP forward per step for G and for D on real and on fake; the frozen D of the G step and the samples bypass DDP
    assert r0['ddp_forwards'] == r1['ddp_forwards'] == 3 * 6
    rows = (tmp_path/'run'/'losses.csv').read_text().splitlines()
    assert [r.split(',')[0] for r in rows] == ['step', '1', '2', '3', '4', '5', '6'], "rank 0 alone logs, once per step"
    ck = torch.load(tmp_path/'run'/'last.pt', weights_only=True)
    assert ck['step'] == 6 and ck['world'] == 2 and len(ck['rng']) == 2  # every rank's RNG state is kept
    for m in ('G', 'D'):
        assert ck['models'][m].keys() == r0['final'][m].keys() and all(torch.equal(t, r0['final'][m][k]) for k, t in ck['models'][m].items())
    from safetensors.torch import load_file
    assert set(load_file(tmp_path/'run'/'toy.safetensors')) == {f'{m}.{k}' for m in ('G', 'D') for k in r0['final'][m]}  # no 'module.'
    assert sorted(p.name for p in (tmp_path/'run'/'samples').iterdir()) == ['step_000003.png', 'step_000006.png']
