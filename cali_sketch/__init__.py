__version__ = "0.1.0"

# The names a user reaches for first, importable from the package itself (`from cali_sketch import CaliSketch`).
# Each loads its module on first use, so `import cali_sketch` stays light (no torch) and the command line starts as
# fast as before. No name here is also a module's (`prepare` is both: import it from `cali_sketch.prepare`), so each
# means one thing however the package was used before. Written by hand: nbdev only keeps `__version__` here; everything else lives in the notebooks.
_LAZY = {'CaliSketch': 'pipeline', 'Result': 'pipeline', 'read_sketch': 'read',
         'ModelConfig': 'models', 'G1': 'models', 'G2': 'models', 'PatchDiscriminator': 'models',
         'PreparedFaces': 'data', 'RunConfig': 'scn', 'run_stage': 'train',
         'evaluate_run': 'evaluate', 'available_weights': 'pretrained'}

def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def __dir__(): return sorted([*globals(), *_LAZY])
