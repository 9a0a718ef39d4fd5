"bench/pen_speed.py as a user runs it: a subprocess with tiny settings; it prints one row per size, says the two pens agree, and refuses a bad --data."
import os, re, subprocess, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]/'bench'/'pen_speed.py'

def _run(*args, tmp):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, str(BENCH), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=tmp, env=env)

def test_rows_and_agreement(tmp_path):
    r = _run('--n', '3', '--sizes', '64', '96', '--repeats', '1', tmp=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [l for l in r.stdout.splitlines() if re.match(r'\| \d+ \|', l)]
    assert [l.split('|')[1].strip() for l in rows] == ['64', '96'], r.stdout
    for l in rows:
        full, reach, ratio, same = [c.strip() for c in l.strip('|').split('|')][1:]
        assert float(full) > 0 and float(reach) > 0 and re.fullmatch(r'\d+\.\d\dx', ratio) and same == 'yes', l

def test_bad_data_folder(tmp_path):
    r = _run('--data', tmp_path/'nowhere', tmp=tmp_path)
    assert r.returncode == 2 and 'not a prepared folder' in r.stderr and 'nowhere' in r.stderr, r.stderr
