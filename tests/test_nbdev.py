"The notebooks are the source: they must be clean, in sync with the package, and their tests must pass."
import json, os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))
BIN = Path(sys.executable).parent

def _nbdev(cmd, *args, cwd=ROOT, timeout=1800):
    exe = BIN/cmd if (BIN/cmd).exists() else cmd
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)

def _copy_project(dst):
    for name in ('nbs', 'cali_sketch'): shutil.copytree(ROOT/name, dst/name, ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('settings.ini', 'setup.py', 'README.md'): shutil.copy(ROOT/name, dst/name)

def test_notebooks_are_clean(tmp_path):
    "nbdev_clean leaves every notebook unchanged (no stray metadata, execution counts or ids)."
    _copy_project(tmp_path)
    r = _nbdev('nbdev_clean', cwd=tmp_path); assert r.returncode == 0, r.stderr
    dirty = [p.name for p in NBS if (tmp_path/'nbs'/p.name).read_bytes() != p.read_bytes()]
    assert not dirty, f"run nbdev_clean: these notebooks are not clean: {dirty}"

def test_package_in_sync_with_notebooks(tmp_path):
    "nbdev_export reproduces cali_sketch/ exactly: nobody edited the generated .py files by hand."
    _copy_project(tmp_path)
    r = _nbdev('nbdev_export', cwd=tmp_path); assert r.returncode == 0, r.stderr
    diff = []
    for p in sorted((tmp_path/'cali_sketch').rglob('*.py')):
        q = ROOT/'cali_sketch'/p.relative_to(tmp_path/'cali_sketch')
        if not q.exists() or q.read_text() != p.read_text(): diff.append(str(q.relative_to(ROOT)))
    assert not diff, f"run nbdev_export and commit: out of sync with the notebooks: {diff}"

def test_module_docstrings_are_whole():
    "Each module's docstring is its chapter's summary, whole: nbdev takes only the first line of the title's blockquote."
    cut = []
    for mod in sorted((ROOT/'cali_sketch').glob('*.py')):
        first = mod.read_text().split('\n', 1)[0]
        if first.startswith('"""') and not first.rstrip().endswith(('."""', ')"""', '?"""', '!"""')): cut.append(f"{mod.name}: {first[:80]}...")
    assert not cut, "a title blockquote spans several lines, so the module docstring stops mid-sentence; make it one line:\n" + '\n'.join(cut)

def test_public_names_have_docstrings():
    "Every function and class a module exports says what it is for (`help()` and the docs show nothing otherwise)."
    import importlib, inspect
    bare = []
    for f in sorted((ROOT/'cali_sketch').glob('[!_]*.py')):
        mod = importlib.import_module(f'cali_sketch.{f.stem}')
        for n in getattr(mod, '__all__', []):
            o = getattr(mod, n, None)
            if (inspect.isfunction(o) or inspect.isclass(o)) and o.__module__ == mod.__name__ and not (o.__doc__ or '').strip(): bare.append(f'{f.stem}.{n}')
    assert not bare, f"exported without a docstring: {bare}"

# Notebooks whose `slow` cells run here too: the stage chapters' short trainings and the results chapter's tiny
# reproduce, a minute in all on two cores. 24a's slow cell is the whole demo; tests/test_train_cli.py runs a quick one instead.
SLOW_TOO = {'21_scn', '22_isn', '23_joint', '44_results'}

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    "Every cell of the notebook runs and its tests pass (cuda and real cells skipped, as in CPU CI; slow ones too but in SLOW_TOO)."
    r = _nbdev('nbdev_test', '--path', str(nb), '--n_workers', '0', '--do_print', *(['--flags', 'slow'] if nb.stem in SLOW_TOO else []))
    assert r.returncode == 0, f"nbdev_test failed for {nb.name}:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"

def test_cells_ci_skips_import_what_they_name():
    """Cells that need real data, a GPU or minutes (flags real, cuda, slow) never run here, so a name they import that has
    moved or gone would first fail for a user: their `cali_sketch` imports are run here, all together."""
    lines = []
    for nb in NBS:
        for c in json.loads(nb.read_text())['cells']:
            s = ''.join(c['source'])
            if c['cell_type'] == 'code' and re.match(r'#\|\s*(slow|real|cuda)\b', s):
                lines += [l.strip() for l in s.splitlines() if re.match(r'\s*(from cali_sketch[\w.]* import|import cali_sketch)', l)]
    assert len(lines) > 5, lines
    moved = "import warnings; warnings.filterwarnings('error', r'cali_sketch\\.\\S+ moved to', DeprecationWarning)"  # ours only: not torch's
    r = subprocess.run([sys.executable, '-c', '\n'.join([moved, *dict.fromkeys(lines)])], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, f"a skipped cell's import fails:\n{r.stderr[-3000:]}"

def _module_order() -> dict:
    "{module: position}: the order of the notebooks that export them (00_core -> core first)."
    order = {}
    for nb in NBS:
        for c in json.loads(nb.read_text())['cells']:
            if m := re.search(r'#\|\s*default_exp\s+(\S+)', ''.join(c['source'])): order[m.group(1)] = len(order); break
    return order

def test_import_direction():
    "A module imports (at the top or lazily inside a function) only modules of lower-numbered notebooks (STYLE.md)."
    order, bad = _module_order(), []
    pat = re.compile(r'^\s*(?:from \.(\w+) import|from cali_sketch\.(\w+) import|from cali_sketch import ([\w, ]+)|import cali_sketch\.(\w+))', re.M)
    for mod, pos in order.items():
        src = (ROOT/'cali_sketch'/f'{mod}.py').read_text()
        for m in pat.finditer(src):
            for dep in (x.strip() for g in m.groups() if g for x in g.split(',')):
                if order.get(dep, -1) > pos: bad.append(f"{mod} imports {dep}")
    assert len(order) > 10 and order['core'] == 0 and order['cli'] == len(order) - 1, order
    assert not bad, f"lower-numbered notebooks must not import higher ones: {bad}"
