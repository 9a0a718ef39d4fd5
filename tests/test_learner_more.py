"More `Learner` checks (chapter 20 is at its line limit): the precision settings, one optimiser step, each callback event once in order, a spent budget, a NaN step."
import warnings, pytest, torch
from cali_sketch.learner import *
from cali_sketch.callbacks import Callback, NonFiniteLossError, _read_rows
from cali_sketch.toy import toy_gan, toy_run, ToyStage, ToyPairs

def _learner(out, stage=None, cbs=(), default_cbs=True, **kw):  # 8 items in batches of 4: 2 steps an epoch
    cfg = TrainConfig(**{**dict(device='cpu', batch_size=4, log_every=1, sample_every=0, ckpt_minutes=0, out=str(out)), **kw})
    return Learner(*toy_gan(0), stage or ToyStage(), ToyPairs(8), cfg, cbs=list(cbs), progress=False, default_cbs=default_cbs)

def test_precision_picks_the_autocast_type_and_the_grad_scaler(tmp_path):
    for prec, dtype in (('fp32', torch.float32), ('bf16', torch.bfloat16), ('fp16', torch.float16)):
        l = _learner(tmp_path/prec, precision=prec)
        assert (l.scaler is not None) == (prec == 'fp16'), prec  # a scaler for fp16 alone: bf16 has fp32's range
        with l.autocast(): y = torch.nn.functional.linear(torch.ones(2, 2), torch.ones(2, 2))
        assert y.dtype == dtype, (prec, y.dtype)
    w, s0 = l.models['G'][0].weight.detach().clone(), l.scaler.get_scale()
    l.update(l.models['G'](torch.ones(1, 1, 4, 4)).sum() * float('inf'), 'G')  # an fp16 overflow: the step is skipped, the scale backs off
    assert torch.equal(w, l.models['G'][0].weight) and l.scaler.get_scale() == s0 / 2

def test_update_steps_on_this_loss_gradient_alone(tmp_path):
    l = _learner(tmp_path); p = l.models['G'][0].weight
    for _ in range(2):  # the second update must not add the first one's gradient
        loss = l.models['G'](torch.rand(1, 1, 4, 4)).pow(2).sum(); want = torch.autograd.grad(loss, p, retain_graph=True)[0]
        l.update(loss, 'G'); assert torch.allclose(p.grad, want)
    assert l.opts['G'].param_groups[0]['betas'] == l.cfg.betas == (0., 0.9)

def test_worker_seeds_follow_the_epoch(tmp_path):  # a loader's workers draw their augmentations from its generator: new each epoch, the same on a resume
    l = _learner(tmp_path); s = [l.loader(e).generator.initial_seed() for e in (0, 0, 1)]
    assert s[0] == s[1] != s[2]

EVENTS = ('before_fit', 'before_epoch', 'before_batch', 'after_step', 'after_epoch', 'cleanup_epoch', 'after_fit', 'cleanup_fit')
class Rec(Callback):
    def __init__(self, log, tag, order=0, main_only=False): self.log, self.tag, self.order, self.main_only = log, tag, order, main_only
class RecStage(ToyStage):  # stages get the events too (ISN's before_fit freezes its G1), at their place in the order
    order = 0
    def __init__(self, log): super().__init__(); self.log, self.tag = log, 'stage'
for e in EVENTS:
    setattr(Rec, e, lambda self, learn, e=e: self.log.append((self.tag, e)))
    setattr(RecStage, e, lambda self, learn, e=e: self.log.append((self.tag, e)))

def test_each_event_fires_once_per_step_in_callback_order(tmp_path):
    log = []; l = _learner(tmp_path, RecStage(log), [Rec(log, 'late', 40), Rec(log, 'early', -5)], steps=3).fit()
    per_epoch = lambda n: ['before_epoch'] + ['before_batch', 'after_step'] * n + ['after_epoch', 'cleanup_epoch']
    want = ['before_fit', *per_epoch(2), *per_epoch(1), 'after_fit', 'cleanup_fit']  # 3 steps: 2 epochs, the second cut to 1 step
    for tag in ('early', 'stage', 'late'): assert [e for t, e in log if t == tag] == want, tag
    assert all([t for t, _ in log[i:i + 3]] == ['early', 'stage', 'late'] for i in range(0, len(log), 3)), log[:6]
    log.clear(); m = _learner(tmp_path/'m', ToyStage(), [Rec(log, 'main', main_only=True), Rec(log, 'all')], default_cbs=False)
    m.is_main = False; m.callback('after_step'); assert log == [('all', 'after_step')]  # rank > 0: main_only callbacks skipped

def test_a_spent_budget_trains_no_more_on_resume(tmp_path):
    class Clock(ToyStage):  # every step takes 30 s of `elapsed`
        def step(self, learn, batch): learn.trained_s += 30.; return super().step(learn, batch)
    assert toy_run(tmp_path, steps=None, minutes=1, stage=Clock()).step == 2
    assert toy_run(tmp_path, steps=None, minutes=1, stage=Clock(), resume=True).step == 2
    assert [r[0] for r in _read_rows(tmp_path/'losses.csv')] == ['step', '1', '2']

def test_a_nan_step_is_neither_logged_nor_checkpointed(tmp_path):  # the guard runs before the logger and the checkpoint
    with pytest.raises(NonFiniteLossError, match="'g_l1' = inf at step 2"): _learner(tmp_path, ToyStage(nan_at=2), steps=4, ckpt_every=1).fit()
    assert [r[0] for r in _read_rows(tmp_path/'losses.csv')] == ['step', '1'] and torch.load(tmp_path/'last.pt', weights_only=True)['step'] == 1

def test_a_resume_that_changes_the_data_order_warns(tmp_path):
    _learner(tmp_path, steps=2).fit()
    with pytest.warns(UserWarning, match='seed, batch_size changed since the checkpoint'): _learner(tmp_path, seed=1, batch_size=2).load_checkpoint(tmp_path/'last.pt')
    with warnings.catch_warnings(): warnings.simplefilter('error'); _learner(tmp_path, lr_g=1e-5).load_checkpoint(tmp_path/'last.pt')  # a new rate: the same order

def test_fixed_batch_has_the_size_asked_for(tmp_path):  # a cached batch of another size is drawn anew
    l = _learner(tmp_path); sizes = [len(l.fixed_batch(n)['index']) for n in (2, 3, 3)]
    assert sizes == [2, 3, 3] and l.fixed_batch(3)['index'].tolist() == [0, 1, 2]
