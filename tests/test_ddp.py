"Data-parallel training under torchrun: two CPU processes (gloo) train the toy GAN and end with identical replicas."
import os, socket, subprocess, sys, textwrap
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]
WORKER = textwrap.dedent('''
    import os, sys, torch
    import torch.distributed as dist
    from cali_sketch.learner import *
    out, rank = sys.argv[1], int(os.environ['RANK'])
    cfg = TrainConfig(steps=6, batch_size=4, log_every=1, ckpt_every=3, sample_every=3, device='cpu', out=out)
    learn = Learner(*toy_gan(seed=rank), ToyStage(), ToyPairs(24), cfg, progress=False)  # different inits: rank 0's must win
    init = {k: {n: t.clone() for n, t in m.state_dict().items()} for k, m in learn.models.items()}
    learn.fit()
    torch.save(dict(init=init, final={k: m.state_dict() for k, m in learn.models.items()}, steps_per_epoch=learn.steps_per_epoch),
               os.path.join(out, f'rank{rank}.pt'))
    dist.destroy_process_group()
''')

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def test_two_process_replicas_stay_identical(tmp_path):
    (tmp_path/'worker.py').write_text(WORKER)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), str(tmp_path/'worker.py'), str(tmp_path/'run')]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path/'run'/f'rank{i}.pt') for i in (0, 1))
    assert r0['steps_per_epoch'] == 3  # 24 items sharded over 2 ranks, batches of 4
    for m in r0['final']:
        for k, t in r0['final'][m].items():
            assert torch.equal(r0['init'][m][k], r1['init'][m][k]), f"{m}.{k}: rank 0's weights were not broadcast"
            assert torch.equal(t, r1['final'][m][k]), f"{m}.{k} differs between the replicas"
    assert any(not torch.equal(r0['init']['G'][k], t) for k, t in r0['final']['G'].items()), "G did not train"
    rows = (tmp_path/'run'/'losses.csv').read_text().splitlines()
    assert [r.split(',')[0] for r in rows] == ['step', '1', '2', '3', '4', '5', '6'], "rank 0 alone logs, once per step"
    ck = torch.load(tmp_path/'run'/'last.pt', weights_only=True)
    assert ck['step'] == 6 and ck['world'] == 2 and len(ck['rng']) == 2  # every rank's RNG state is kept
    assert sorted(p.name for p in (tmp_path/'run'/'samples').iterdir()) == ['step_000003.png', 'step_000006.png']
