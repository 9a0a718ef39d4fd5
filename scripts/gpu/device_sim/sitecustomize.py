"""The lent GPU machine's Python, simulated on this one for the CPU dry runs of scripts/gpu/session.sh.

That machine's image lacks most of what this checkout's environment has (nbdev, ipywidgets, IPython, ...), and a GPU
phase that imports one of them fails in the one device call a session gets. With this folder on PYTHONPATH and
CALI_DEVICE_SIM naming allow-lists (files of distribution names, one per line, '#' comments, joined by ':'), Python
hides every installed distribution not on them: `import ipywidgets` then fails here as it would there. The lists are
scripts/gpu/device_image.txt (the image) and the wheels a phase carries (scripts/gpu/wheels-*.txt). A hidden module is
still found in the folders CALI_DEVICE_SITE names (':'-separated): where session.sh installs the carried wheels, as it
does there. Without CALI_DEVICE_SIM this file does nothing. Child processes (data-loader workers, scripts run by the
phase) inherit all of it.
"""
import os, re, sys

def _norm(name:str) -> str: return re.sub(r'[-_.]+', '-', name).lower()

def _hidden(files:str) -> set:
    "Top-level module names that only distributions off the allow-lists provide."
    import importlib.metadata as md
    allowed = {'cali-sketch'}  # the checkout itself travels
    for f in files.split(os.pathsep):
        with open(f) as fh: allowed |= {_norm(n) for n in (l.split('#')[0].strip() for l in fh) if n}
    return {m for m, dists in md.packages_distributions().items() if not any(_norm(d) in allowed for d in dists)}

class _Hide:
    "A meta-path finder that refuses the hidden top-level modules before any other finder can find them (but in `sites`)."
    def __init__(self, hidden:set, sites:list): self.hidden, self.sites = hidden, sites
    def find_spec(self, name, path=None, target=None):
        if name in self.hidden:
            from importlib.machinery import PathFinder
            if self.sites and (spec := PathFinder.find_spec(name, self.sites)): return spec
            raise ModuleNotFoundError(f"No module named {name!r} (device simulation: the GPU machine's image lacks it, "
                                      "and no carried wheel list names it)", name=name)
        return None

if os.environ.get('CALI_DEVICE_SIM'):
    sys.meta_path.insert(0, _Hide(_hidden(os.environ['CALI_DEVICE_SIM']), [d for d in os.environ.get('CALI_DEVICE_SITE', '').split(os.pathsep) if d]))
