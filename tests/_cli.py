"Run `cali-sketch SUB ...` as a user does: a fresh process in a temporary folder, with no weights to find by accident."
import os, subprocess, sys
from pathlib import Path

def cli_cmd(sub:str) -> list[str]:
    "The console script `cali-sketch SUB`, through the interpreter running the tests (no PATH lookup)."
    return [sys.executable, '-c', 'import sys; from cali_sketch.cli import main; sys.exit(main(sys.argv[1:]))', sub]

def cli_env(tmp:Path) -> dict:
    "An empty torch hub cache (no VGG-19 / FID Inception weights are found by accident) and two threads (CI's 2 cores)."
    return {**os.environ, 'TORCH_HOME': str(Path(tmp)/'torch-home'), 'OMP_NUM_THREADS': '2', 'PYTHONUNBUFFERED': '1'}

def run_cli(sub:str, *args, tmp:Path, timeout:float=90) -> subprocess.CompletedProcess:
    "`cali-sketch SUB ARGS...` run in `tmp`: returns the finished process (exit code, stdout, stderr as text)."
    return subprocess.run([*cli_cmd(sub), *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=tmp, env=cli_env(tmp))
