"Kill-and-resume of a toy GAN run, with real process kills (SIGKILL) and DataLoader workers: the resumed run must match an uninterrupted one bit for bit."
import os, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = textwrap.dedent('''
    import os, signal, sys, torch
    from cali_sketch.learner import *
    from cali_sketch.toy import *
    from cali_sketch.callbacks import Callback
    out, steps, kill_at, resume, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == '1', int(sys.argv[5])
    class Kill(Callback):
        order = 100
        def after_step(self, learn):
            if learn.step == kill_at: os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no final checkpoint
    cfg = TrainConfig(steps=steps, batch_size=4, log_every=1, ckpt_every=4, sample_every=5, num_workers=workers, device='cpu', out=out)
    learn = Learner(*toy_gan(0), ToyStage(), ToyPairs(24), cfg, cbs=[Kill()], progress=False).fit(resume=resume)
    torch.save({k: m.state_dict() for k, m in learn.models.items()}, os.path.join(out, 'final.pt'))
''')

def _start(tmp, out, steps=15, kill_at=0, resume=False, workers=0):
    (tmp/'train.py').write_text(SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(tmp/'train.py'), str(out), str(steps), str(kill_at), str(int(resume)), str(workers)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

def _wait(p):
    out, err = p.communicate(timeout=120); p.stderr_text = err; return p

def _run(*args, **kw): return _wait(_start(*args, **kw))

@pytest.mark.parametrize('workers', [0, 2])
def test_kill_and_resume_is_bit_exact(tmp_path, workers):
    straight, killed = _start(tmp_path, tmp_path/'straight', workers=workers), _start(tmp_path, tmp_path/'killed', kill_at=10, workers=workers)
    r = _wait(straight); assert r.returncode == 0, r.stderr_text
    r = _wait(killed); assert r.returncode == -9, f"expected SIGKILL, got {r.returncode}: {r.stderr_text[-2000:]}"
    ck = torch.load(tmp_path/'killed'/'last.pt', weights_only=True)
    assert ck['step'] == 8  # the last checkpoint before the kill (mid-epoch: 6 steps per epoch)
    assert not list((tmp_path/'killed').glob('.*.tmp')), "no temp files left by the atomic writes"
    r = _run(tmp_path, tmp_path/'killed', resume=True, workers=workers); assert r.returncode == 0, r.stderr_text
    a, b = (tmp_path/'straight'/'losses.csv').read_text(), (tmp_path/'killed'/'losses.csv').read_text()
    assert a == b, "losses.csv of the resumed run differs from the uninterrupted run"
    assert len(a.splitlines()) == 16  # header + 15 steps, none duplicated
    wa, wb = (torch.load(tmp_path/d/'final.pt', weights_only=True) for d in ('straight', 'killed'))
    for m in wa:
        for k in wa[m]: assert torch.equal(wa[m][k], wb[m][k]), f"{m}.{k} differs"

def test_unreadable_checkpoint_is_named(tmp_path):
    from cali_sketch.learner import Learner, TrainConfig
    from cali_sketch.toy import ToyStage, ToyPairs, toy_gan
    out = tmp_path/'run'; out.mkdir(); (out/'last.pt').write_bytes(b'not a checkpoint')
    learn = Learner(*toy_gan(0), ToyStage(), ToyPairs(8), TrainConfig(steps=2, batch_size=4, device='cpu', out=str(out)), progress=False)
    with pytest.raises(RuntimeError, match='last.pt'): learn.fit(resume=True)
