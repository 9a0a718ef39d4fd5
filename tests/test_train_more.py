"`cali-sketch train` (chapter 24): every flag reaches the config, the data and `run_stage`; resume keeps the run's model; what a run reads is recorded absolute. No training: the stage and the data are stood in for."
import dataclasses, os
from pathlib import Path
from types import SimpleNamespace
import pytest

import cali_sketch.train as T
from cali_sketch.core import torch_save
from cali_sketch.models import ModelConfig
from cali_sketch.scn import RunConfig

def cfg_of(*args) -> RunConfig:
    return T.train_config(T.train_parser().parse_args(list(map(str, args))))

def fake_run(out:Path, **kw) -> RunConfig:
    "A run folder with a checkpoint at step 3 (what `--resume` reads), no training."
    c = RunConfig(stage=kw.pop('stage', 'scn'), out=str(out), data=str(out.parent), model=kw.pop('model', ModelConfig.small()), **kw)
    torch_save(dict(config=c.to_dict(), step=3, models={}), out/'last.pt')
    return c

# flag -> (field, value typed, value expected in the config); stage and extra flags the flag needs
FLAGS = [('--steps', 'steps', 7, 7), ('--minutes', 'minutes', 2.5, 2.5), ('--batch-size', 'batch_size', 3, 3), ('--size', 'size', 96, 96),
         ('--backbone', 'backbone', 'random', 'random'), ('--vgg19-weights', 'vgg19_weights', 'w.pth', 'w.pth'), ('--target', 'target', 'raw', 'raw'),
         ('--precision', 'precision', 'bf16', 'bf16'), ('--channels-last', 'channels_last', None, True), ('--compile', 'compile', None, True),
         ('--device', 'device', 'cpu', 'cpu'), ('--seed', 'seed', 5, 5), ('--workers', 'num_workers', 2, 2), ('--log-every', 'log_every', 3, 3),
         ('--sample-every', 'sample_every', 4, 4), ('--ckpt-every', 'ckpt_every', 6, 6), ('--keep-every', 'keep_every', 9, 9),
         ('--ckpt-minutes', 'ckpt_minutes', 3.5, 3.5), ('--log-seconds', 'log_seconds', 7.5, 7.5), ('--scn-init', 'scn_init', 'runs/x', 'runs/x'),
         ('--lr-decay', 'lr_decay', 0.25, 0.25), ('--lr-d', 'lr_d', 3e-5, 3e-5), ('--local-target', 'local_target', 'ld', 'ld')]
ISN = [('--isn-input', 'isn_input', 'mix', 'mix', ['--scn-ckpt', 'runs/s']), ('--mix-p', 'mix_p', 0.3, 0.3, ['--isn-input', 'mix', '--scn-ckpt', 'runs/s']),
       ('--sketch', 'sketch', 'edges', 'edges', ['--isn-input', 'sketch'])]
JOINT = [('--scn-ckpt', 'scn_ckpt', 'runs/s', 'runs/s'), ('--isn-ckpt', 'isn_ckpt', 'runs/i', 'runs/i')]

def test_every_flag_reaches_the_config(tmp_path):
    "A flag that is parsed but not passed on would train with the default while the user believes otherwise."
    seen = set()
    for flag, k, v, want in FLAGS:
        c = cfg_of('--stage', 'scn', '--data', tmp_path, flag, *([] if v is None else [v]))
        assert getattr(c, k) == want and getattr(RunConfig(), k) != want, (flag, getattr(c, k)); seen.add(k)
    for flag, k, v, want, extra in ISN:
        c = cfg_of('--stage', 'isn', '--data', tmp_path, *extra, flag, v); assert getattr(c, k) == want, (flag, getattr(c, k)); seen.add(k)
    for flag, k, v, want in JOINT:
        c = cfg_of('--stage', 'joint', '--data', tmp_path, flag, v); assert getattr(c, k) == want, (flag, getattr(c, k)); seen.add(k)
    c = cfg_of('--stage', 'scn', '--data', tmp_path, '--level-conditioned', '--levels', 0.2, 0.6); assert c.levels == (0.2, 0.6) and c.model.level
    seen |= {'levels', 'data'}
    # the table covers every parser flag that names a RunConfig field: a new flag must join it
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    dests = {a.dest for a in T.train_parser()._actions if a.dest in fields} - {'stage', 'out', 'model', 'scn_loss', 'isn_loss', 'human', 'corrupt', 'lr_g'}  # own tests
    assert dests <= seen, dests - seen

def test_resume_takes_the_flags_given_and_keeps_the_rest(tmp_path, capsys):
    out = tmp_path/'run'; fake_run(out, steps=3, minutes=1.0, keep_every=5, log_seconds=30.)
    c = cfg_of('--stage', 'scn', '--out', out, '--resume', '--minutes', 4, '--keep-every', 2, '--log-seconds', 9)
    assert (c.minutes, c.keep_every, c.log_seconds, c.steps, c.model) == (4.0, 2, 9.0, 3, ModelConfig.small())
    said = capsys.readouterr().out  # --steps and --minutes are the run's limits, extended on purpose: not listed as changed settings
    assert said.startswith(f"resuming {out} from step 3; changed from the run's own settings: log_seconds 30.0 -> 9.0, keep_every 5 -> 2"), said
    assert 'minutes' not in said, said

def test_resume_refuses_architecture_flags_given_together(tmp_path):
    "--model small --upsample nearest on a small deconv run: the model differs in upsample, which is refused, not silently dropped."
    out = tmp_path/'run'; fake_run(out)
    with pytest.raises(ValueError, match="--model small --upsample nearest: .* was trained with upsample='deconv'"):
        cfg_of('--stage', 'scn', '--out', out, '--resume', '--model', 'small', '--upsample', 'nearest')
    assert cfg_of('--stage', 'scn', '--out', out, '--resume', '--model', 'small').model == ModelConfig.small()  # the same model: fine

def test_outcome_at_exactly_the_steps_asked():
    "A resume whose run is exactly at --steps trains nothing and says so (not the success line)."
    learn = SimpleNamespace(cfg=RunConfig(stage='scn', steps=3, out='runs/r'), step=3, start_step=3, out_of_time=False, trained_s=0., losses={})
    assert T._outcome(learn) == f"scn: {Path('runs/r')} is already at step 3 >= --steps 3: nothing trained (a larger --steps trains further)"

def test_stale_joint_when_only_the_isn_trains_on(tmp_path):
    "The joint stage starts from the ISN too: an ISN about to train further makes an existing joint run stale."
    scn, isn = RunConfig(stage='scn', out=str(tmp_path/'scn')), RunConfig(stage='isn', out=str(tmp_path/'isn'))
    joint = fake_run(tmp_path/'joint', stage='joint', scn_ckpt=scn.out, isn_ckpt=isn.out)
    say = T.stale_stages({'scn': scn, 'isn': isn, 'joint': joint}, {'scn': False, 'isn': True, 'joint': False})
    assert len(say) == 1 and say[0].startswith(f"{tmp_path/'joint'} (step 3) was started from the isn stage, which"), say
    say = T.stale_stages({'scn': scn, 'isn': isn, 'joint': joint}, {'scn': True, 'isn': True})
    assert len(say) == 1 and 'from the scn and isn stages' in say[0] and 'their old weights' in say[0], say

class _Seen(Exception): pass

def test_run_stage_passes_absolute_paths_and_data_settings(tmp_path, monkeypatch):
    "What a run reads is recorded absolute (it resumes from any folder); the data gets the run's sketch settings and, for a level-conditioned G1, its levels."
    monkeypatch.chdir(tmp_path)
    for d in ('faces', 'scn', 'isn', 'init'): (tmp_path/d).mkdir()
    (tmp_path/'w.pth').write_bytes(b'')
    got = {}
    class Faces:
        def __init__(self, root, split, **kw): got.setdefault('data', []).append((root, split, kw)); self.size = 64
    class Stage:
        def __init__(self, cfg, va, init): got['cfg'], got['va'], got['init'] = cfg, va, init; raise _Seen
    monkeypatch.setattr(T, 'PreparedFaces', Faces); monkeypatch.setitem(T.STAGE_CLASSES, 'joint', Stage)
    c = RunConfig(stage='joint', out='run', data='faces', scn_ckpt='scn', isn_ckpt='isn', vgg19_weights='w.pth', scn_init='init', seed=4,
                  val_fraction=0.2, target='raw', model=ModelConfig.small(level=True), levels=(0.3, 0.7))
    with pytest.raises(_Seen): T.run_stage(c, progress=False)
    r = got['cfg']
    assert (r.data, r.scn_ckpt, r.isn_ckpt, r.vgg19_weights, r.scn_init) == tuple(str(tmp_path/p) for p in ('faces', 'scn', 'isn', 'w.pth', 'init'))
    assert r.size == 64 and got['init'] is True
    assert [(s, kw['levels'], kw['seed'], kw['target'], kw['val_fraction'], kw['size']) for _, s, kw in got['data']] == \
        [('train', (0.3, 0.7), 4, 'raw', 0.2, None), ('val', (0.3, 0.7), 4, 'raw', 0.2, None)]
    assert all(kw['corrupt'] == c.human for *_, kw in got['data'])
    got.clear()  # a G1 without levels is given none; a name that is no file (a shipped model's) stays a name
    with pytest.raises(_Seen): T.run_stage(dataclasses.replace(c, model=ModelConfig.small(), scn_ckpt='small-full'), progress=False)
    assert [kw['levels'] for *_, kw in got['data']] == [None, None] and got['cfg'].scn_ckpt == 'small-full'

def test_train_cli_passes_resume_and_quiet_on(tmp_path, monkeypatch, capsys):
    "--resume and --quiet reach run_stage as resume=True and progress=False (no flag: resume=False, a progress bar)."
    calls = []
    def fake(cfg, resume, progress, init):
        calls.append((resume, progress, init))
        return SimpleNamespace(cfg=cfg, step=4, start_step=3, out_of_time=False, losses={})
    monkeypatch.setattr(T, 'run_stage', fake)
    out = tmp_path/'run'; fake_run(out)
    assert T.train_cli(['--stage', 'scn', '--out', str(out), '--resume', '--steps', '4', '--quiet']) == 0
    assert T.train_cli(['--stage', 'scn', '--out', str(tmp_path/'new'), '--data', str(tmp_path), '--model', 'small', '--device', 'cpu']) == 0
    assert calls == [(True, False, None), (False, True, None)]
    assert f"scn: step 4 in {out/'last.pt'}" in capsys.readouterr().out
