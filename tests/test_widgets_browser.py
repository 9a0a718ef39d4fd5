"""The widgets in a real JupyterLab in a real browser (Debian chromium driven by PyPI playwright; see TOOLCHAIN.md).

Opens a small generated notebook, runs it, moves a slider of the S -> R -> P viewer with the keyboard, draws a stroke on
the sketch pad with the mouse, and checks that the pictures change. Saves a screenshot (the pytest tmp dir; also
docs/img/widgets.png when CALI_SKETCH_SCREENSHOT=1). Runs by default; skips, saying why, when chromium or playwright
is missing.

Why it once hung (in a fresh clone under CI, every process idle), and what keeps it from hanging now:
- The test ran `page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")`, and
  `page.evaluate` waits for the returned promise, with no timeout. The readiness check before it
  (`.jp-Notebook-ExecutionIndicator[data-status="idle"]`) already passes while the notebook's SessionContext has no
  kernel attached yet: the indicator shows "idle" by default. If run-all fires in that window, JupyterLab's
  `runCell` sees `sessionContext.hasNoKernel`, `startKernel()` finds no default to start, and it opens the modal
  "Select Kernel" dialog and waits for a click. So the command's promise, and therefore the test, waited forever
  (failure.png showed the dialog over the unrun notebook). When no dialog comes up, a racing run-all can instead
  resolve having run no cell, or only some: then the test failed after 90 s with no outputs. It all depends on
  timing (about 1 run in 6 here), which is why it showed up as an occasional hang.
- Now: wait (with a timeout) until the notebook's SessionContext is ready with a connected, idle kernel, so the
  run-all cannot race the kernel start; fire run-all WITHOUT awaiting its promise (its result goes to
  `window.__caliRunAll`) and poll for the outputs. Safety net, should it race after all: accept "Select Kernel"
  dialogs, and once that run-all has ended with the notebook not fully executed, restart the kernel
  (`SessionContext.restartKernel()`, no dialog) and run all again, once (forcing the race, this recovered 8 runs
  of 8). Any other dialog, a cell error or a second failed run fails at once, saying why.
- Every Playwright call has a timeout (`set_default_timeout`). The JupyterLab server gets its own config, data,
  runtime, settings and workspaces dirs, and a 'python3' kernelspec on JUPYTER_PATH that runs this interpreter
  (checked through /api/kernelspecs; the ready check wants that kernel), so nothing on the machine can add dialogs or
  pick another Python. Its stdin is /dev/null and its output goes to lab.log.
- On a failure the test prints the page state (run-all result, kernel status, dialogs, prompts, outputs), the
  browser console and the end of lab.log, and saves failure.png in the pytest tmp dir.
- A SIGALRM watchdog (CALI_SKETCH_BROWSER_TEST_LIMIT, default 300 s) stays as a last resort: it fails the test
  instead of letting it hang CI.
"""
import os, sys, json, time, shutil, socket, secrets, subprocess, urllib.request
from pathlib import Path
import pytest

CHROMIUM = next((p for p in ('/usr/bin/chromium', '/usr/bin/chromium-browser', shutil.which('chromium') or '') if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium found (apt-get install -y chromium); the browser test needs it")
BROWSER_TEST_LIMIT = int(os.environ.get('CALI_SKETCH_BROWSER_TEST_LIMIT', '300'))
STEP_MS = 90_000  # timeout of each single wait in the browser

@pytest.fixture(autouse=True)
def _watchdog():
    "Fail the test with a clear message instead of hanging forever (safety net: every wait below has its own timeout)."
    import signal
    if not hasattr(signal, 'SIGALRM'): yield; return
    def _boom(*_): raise TimeoutError(f"browser test still running after {BROWSER_TEST_LIMIT} s: something waited without a timeout")
    old = signal.signal(signal.SIGALRM, _boom); signal.alarm(BROWSER_TEST_LIMIT)
    try: yield
    finally: signal.alarm(0); signal.signal(signal.SIGALRM, old)
ROOT = Path(__file__).resolve().parents[1]

CELLS = [
    "import numpy as np\nfrom cali_sketch.corrupt import toy_face_edges\nfrom cali_sketch.models import ModelConfig\n"
    "from cali_sketch.pipeline import CaliSketch\nfrom cali_sketch.viewer import scn_isn_viewer\nfrom cali_sketch.sketchpad import sketch_pad\n"
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

def _kernelspec(jpath):
    "A 'python3' kernelspec on JUPYTER_PATH (searched first) that runs this interpreter, whatever else is installed."
    d = jpath/'kernels'/'python3'; d.mkdir(parents=True)
    (d/'kernel.json').write_text(json.dumps(dict(argv=[sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
                                                 display_name='Python 3 (ipykernel)', language='python')))

@pytest.fixture
def lab(tmp_path):
    pytest.importorskip('playwright.sync_api', reason='playwright (PyPI) is not installed')
    pytest.importorskip('jupyterlab', reason='jupyterlab is not installed')
    work = tmp_path/'work'; work.mkdir(); _notebook(work/'widgets_test.ipynb')
    dirs = {k: tmp_path/v for k, v in dict(JUPYTER_CONFIG_DIR='jupyter_config', JUPYTER_DATA_DIR='jupyter_data',
            JUPYTER_RUNTIME_DIR='jupyter_runtime', JUPYTERLAB_SETTINGS_DIR='lab_settings',
            JUPYTERLAB_WORKSPACES_DIR='lab_workspaces', JUPYTER_PATH='jupyter_path').items()}
    for d in dirs.values(): d.mkdir()
    _kernelspec(dirs['JUPYTER_PATH'])
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, 'MPLBACKEND': 'Agg',
           'PYTHONPATH': str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', '')}
    jupyter = str(Path(sys.executable).with_name('jupyter'))
    subprocess.run([jupyter, 'labextension', 'disable', '@jupyterlab/apputils-extension:announcements'], env=env,
                   capture_output=True, check=False, stdin=subprocess.DEVNULL, timeout=120)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path/'lab.log', 'w')
    proc = subprocess.Popen([jupyter, 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}', f'--IdentityProvider.token={token}',
                             '--allow-root', f'--ServerApp.root_dir={work}', '--LabApp.news_url=None',
                             '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--LabApp.extension_manager=readonly',
                             '--LabApp.expose_app_in_browser=True'],
                            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        deadline = time.monotonic() + 90
        while True:  # the REST API answers once the server is really up (not just the port open)
            if proc.poll() is not None: pytest.fail(f"jupyter lab exited ({proc.returncode}): {(tmp_path/'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/kernelspecs?token={token}', timeout=5) as r:
                    specs = json.load(r); break
            except OSError:
                if time.monotonic() > deadline: pytest.fail(f"jupyter lab did not start: {(tmp_path/'lab.log').read_text()[-2000:]}")
                time.sleep(0.25)
        assert specs['kernelspecs']['python3']['spec']['argv'][0] == sys.executable, specs
        yield f'http://127.0.0.1:{port}/lab/tree/widgets_test.ipynb?token={token}', tmp_path
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait(10)
        log.close()

# The notebook panel's SessionContext has its kernel (our 'python3' spec) connected and idle: only then can run-all not prompt.
_KERNEL_READY = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget, c = w && w.sessionContext;
    const k = c && c.session && c.session.kernel;
    return !!(k && c.isReady && !c.hasNoKernel && w.context.isReady && w.content.widgets.length === 3
              && k.name === 'python3' && k.connectionStatus === 'connected' && k.status === 'idle');
}"""
# Fire and forget: never make page.evaluate wait on the command's promise (it has no timeout).
_RUN_ALL = """() => {
    window.__caliRunAll = 'pending';
    window.jupyterapp.commands.execute('notebook:run-all-cells').then(r => { window.__caliRunAll = 'done: ' + r; },
                                                                      e => { window.__caliRunAll = 'error: ' + e; });
    return true;
}"""
_STATE = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget, c = w && w.sessionContext;
    const k = c && c.session && c.session.kernel;
    return {runAll: window.__caliRunAll, isReady: c && c.isReady, hasNoKernel: c && c.hasNoKernel,
            kernel: k ? {name: k.name, status: k.status, connection: k.connectionStatus} : null,
            dialogs: [...document.querySelectorAll('.jp-Dialog')].map(e => e.innerText),
            prompts: [...document.querySelectorAll('.jp-InputArea-prompt')].map(e => e.innerText),
            outputs: [...document.querySelectorAll('.jp-Cell-outputArea')].map(e => e.innerText.slice(0, 2000))};
}"""

def _srcs(page, sel):
    return page.eval_on_selector_all(sel, 'els => els.map(e => e.getAttribute("src"))')

_RESTART = """() => {
    window.__caliRestart = 'pending';
    window.jupyterapp.shell.currentWidget.sessionContext.restartKernel().then(() => { window.__caliRestart = 'done'; },
                                                                               e => { window.__caliRestart = 'error: ' + e; });
    return true;
}"""
_OUTPUTS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    return {done: document.querySelectorAll('.jp-Cell-outputArea img').length >= 7 && !!document.querySelector('.jp-Cell-outputArea canvas'),
            runAll: window.__caliRunAll || null, restart: window.__caliRestart || null,
            notRun: cells.map((c, i) => c.model.executionCount === null ? i + 1 : 0).filter(i => i),
            error: cells.flatMap(c => c.model.outputs ? c.model.outputs.toJSON() : [])
                        .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue).join('; ')};
}"""

def _run_all_and_wait(page, timeout_s=120):
    """Run all cells (never awaiting the command's promise) and wait for the widgets' pictures and canvas.
    Safety net, should a run-all still race the kernel start (it then opens 'Select Kernel' dialogs, runs no cell or only
    some, or runs them in different kernels): accept those dialogs; once that run-all has ended with the notebook not
    fully executed, restart the kernel (SessionContext.restartKernel, no dialog) and run all again, once. Any other
    dialog, or a second failed run (a cell error, cells not run), fails at once; the caller then prints the page state."""
    deadline, retried = time.monotonic() + timeout_s, False
    if page.evaluate("() => window.__caliRunAll === undefined"): page.evaluate(_RUN_ALL)
    while time.monotonic() < deadline:
        dlg = page.locator('.jp-Dialog')
        if dlg.count():
            text = dlg.first.inner_text()
            if 'Select Kernel' not in text or retried: raise AssertionError(f"unexpected JupyterLab dialog: {text!r}")
            print("run-all raced the kernel start: accepting JupyterLab's 'Select Kernel' dialog", flush=True)
            page.locator('.jp-Dialog .jp-mod-accept').first.click()
            time.sleep(0.25); continue
        st = page.evaluate(_OUTPUTS)
        if st['done']: return
        settled = st['runAll'] not in (None, 'pending') and st['restart'] != 'pending' and page.evaluate(_KERNEL_READY)
        if settled and st['restart'] is None and (st['notRun'] or st['error']):
            why = f"run-all ended ({st['runAll']})" + (f" with an error: {st['error']}" if st['error'] else f"; cells {st['notRun']} did not run")
            if retried: raise AssertionError(why)
            print(f"{why}: restarting the kernel and running all cells again", flush=True)
            page.evaluate(_RESTART)
        elif settled and st['restart'] == 'done':
            page.evaluate("() => { window.__caliRestart = null; }"); retried = True; page.evaluate(_RUN_ALL)
        elif (st['restart'] or '').startswith('error'): raise AssertionError(f"kernel restart failed: {st['restart']}")
        time.sleep(0.25)
    raise AssertionError(f"notebook outputs did not appear within {timeout_s:.0f} s")

def test_widgets_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    url, tmp = lab
    args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync']
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args, timeout=STEP_MS)
        try:
            page = browser.new_page(viewport={'width': 1500, 'height': 1100})
            page.set_default_timeout(STEP_MS); page.set_default_navigation_timeout(STEP_MS)
            console = []
            page.on('console', lambda m: console.append(f'{time.strftime("%H:%M:%S")} {m.type}: {m.text}'))
            page.on('pageerror', lambda e: console.append(f'{time.strftime("%H:%M:%S")} pageerror: {e}'))
            try: _exercise(page, url, tmp)
            except BaseException:
                try:
                    page.screenshot(path=str(tmp/'failure.png'), full_page=True, timeout=10_000)
                    print('PAGE STATE', json.dumps(page.evaluate(_STATE), indent=1), flush=True)
                except Exception as e: print('could not read the page state:', e, flush=True)
                print('BROWSER CONSOLE\n' + '\n'.join(console[-80:]), flush=True)
                print('END OF lab.log\n' + (tmp/'lab.log').read_text()[-4000:], flush=True)
                raise
        finally: browser.close()

def _exercise(page, url, tmp):
    page.goto(url)
    page.wait_for_selector('.jp-Notebook')
    page.wait_for_function(_KERNEL_READY, polling=250)
    _run_all_and_wait(page)
    viewer_imgs = '.jp-Cell:nth-child(2) .jp-Cell-outputArea img'
    pad_imgs = '.jp-Cell:nth-child(3) .jp-Cell-outputArea img'
    canvas = page.locator('.jp-Cell-outputArea canvas').first
    before = _srcs(page, viewer_imgs)
    assert len(before) == 5, before  # photo, E_gt, S, R, P

    # move the severity slider (first slider of the viewer) with the keyboard
    handle = page.locator('.jp-Cell:nth-child(2) .noUi-handle').first
    handle.scroll_into_view_if_needed(); handle.focus()
    for _ in range(5): page.keyboard.press('ArrowRight')
    page.wait_for_function(f"""(b) => {{ const s = [...document.querySelectorAll('{viewer_imgs}')].map(e => e.getAttribute('src'));
                               return s[2] !== b[2] && s[4] !== b[4]; }}""", arg=before)
    after = _srcs(page, viewer_imgs)
    assert after[0] == before[0] and after[1] == before[1]  # photo and E_gt do not depend on the slider
    assert after[2] != before[2] and after[3] != before[3] and after[4] != before[4]  # S, R, P do
    # and every picture decodes in the browser: colour ones come as JPEG (widgets.show_picture), sketches as PNG
    page.wait_for_function(f"() => [...document.querySelectorAll('{viewer_imgs}')].every(e => e.complete && e.naturalWidth > 0)", timeout=10_000)

    # draw a stroke on the sketch pad with the mouse
    pad_before = _srcs(page, pad_imgs)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box['x'] + 40, box['y'] + 40); page.mouse.down()
    for i in range(1, 11): page.mouse.move(box['x'] + 40 + 11 * i, box['y'] + 40 + 9 * i)
    page.mouse.up()
    page.wait_for_function(f"""(b) => {{ const s = [...document.querySelectorAll('{pad_imgs}')].map(e => e.getAttribute('src'));
                               return s.length == 2 && s[0] !== b[0] && s[1] !== b[1]; }}""", arg=pad_before)
    # one picture of both widgets: the notebook scrolls inside its own panel (full_page does not help), so make the
    # window as tall as the notebook's content and scroll that to the top
    top = "() => { document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer, .jp-NotebookPanel .jp-Notebook').forEach(e => { e.scrollTop = 0; }); }"
    h = page.evaluate("() => Math.max(...[...document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer, .jp-NotebookPanel .jp-Notebook')].map(e => e.scrollHeight))")
    page.set_viewport_size({'width': 1500, 'height': min(max(1100, h + 200), 4000)}); page.evaluate(top)
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(e => e.getBoundingClientRect().bottom))")
    page.set_viewport_size({'width': 1500, 'height': min(max(900, int(bottom) + 60), 4000)}); page.evaluate(top)
    page.wait_for_timeout(500)
    shot = tmp/'widgets.png'
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get('CALI_SKETCH_SCREENSHOT'):
        (ROOT/'docs'/'img').mkdir(parents=True, exist_ok=True); shutil.copy(shot, ROOT/'docs'/'img'/'widgets.png')
