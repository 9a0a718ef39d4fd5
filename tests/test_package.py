"The package's own namespace: the first names a user reaches for import from `cali_sketch` itself, lazily."
import subprocess, sys, importlib, importlib.util
import cali_sketch

def test_top_level_names_are_the_modules_objects():
    for name, mod in cali_sketch._LAZY.items():
        assert getattr(cali_sketch, name) is getattr(importlib.import_module(f'cali_sketch.{mod}'), name), name
        assert name in dir(cali_sketch)
        assert not importlib.util.find_spec(f'cali_sketch.{name}'), f"{name} is also a module: it would mean two things"

def test_unknown_name_is_an_attribute_error():
    try: cali_sketch.no_such_name
    except AttributeError as e: assert "no attribute 'no_such_name'" in str(e)
    else: raise AssertionError('no error')

def test_import_stays_light():
    code = "import sys, cali_sketch; print('torch' in sys.modules); from cali_sketch import CaliSketch; print(CaliSketch.__module__)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ['False', 'cali_sketch.pipeline'], out

def test_modules_do_not_import_matplotlib():
    "No module of the package imports matplotlib when imported: infer, train, eval, compare, reproduce's --help and the widgets draw nothing on their way there, and matplotlib's import costs about 0.5 s (chapter 00b). A figure imports it when it is drawn."
    code = ("import sys, pkgutil, importlib, cali_sketch; "
            "[importlib.import_module(f'cali_sketch.{m.name}') for m in pkgutil.iter_modules(cali_sketch.__path__)]; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')[:3], "
            "len([m for m in sys.modules if m.startswith('cali_sketch.')]))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
    assert out.startswith('[] '), f'matplotlib imported by a module of the package: {out}'
    assert int(out.split()[-1]) > 40, f'too few modules imported to mean anything: {out}'

def test_no_stray_files_at_the_top_level():
    "The design card names the top level; a file a shell job left behind (a `pid`, a log) must not be committed with the work."
    import pathlib, shutil
    root = pathlib.Path(__file__).resolve().parents[1]
    if not (root/'.git').exists() or not shutil.which('git'): import pytest; pytest.skip('not a git checkout')
    files = subprocess.run(['git', 'ls-files'], cwd=root, capture_output=True, text=True, check=True).stdout.split('\n')
    top = {f.split('/')[0] for f in files if f}
    allowed = {'.ci', '.gitignore', 'LICENSE', 'README.md', 'bench', 'cali_sketch', 'docs', 'nbs', 'pyproject.toml',
               'results', 'scripts', 'settings.ini', 'setup.py', 'tests', 'weights'}
    assert top <= allowed, f'unexpected files at the top level: {sorted(top - allowed)}'
