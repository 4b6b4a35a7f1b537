"""The docs site in a real browser: `python tools/docs.py build`, served on 127.0.0.1, opened in headless Debian
Chromium driven by Playwright. Every page in the sidebar (and the home page) must load without a console error,
a broken internal link or image, or raw unrendered math; the sidebar follows the notebook order; the theory
page shows its toy figure and `drop_quotas`'s reference shows its parameter table. Screenshots go to
`.ci/artifacts/screenshots/`. Skips when Chromium (Debian package `chromium`, see .ci/apt-packages) or the
`playwright` package is absent. The build and the crawl run once under a file lock and are reused by the other
pytest-xdist worker (the crawl's findings are cached as JSON beside the build)."""
import contextlib, fcntl, functools, http.server, importlib, inspect, json, os, re, subprocess, sys, threading, time
from pathlib import Path
from urllib.parse import urlsplit, unquote
from urllib.request import urlopen
from urllib.error import HTTPError
import pytest
from nbdev.config import nbpath2html

root = Path(__file__).resolve().parents[1]
nbs, site = root/'nbs', root/'_docs'
shots = root/'.ci'/'artifacts'/'screenshots'
CHROMIUM = os.environ.get('DROP_NB_CHROMIUM', '/usr/bin/chromium')
ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run']

def _page_stem(nb:Path): return nbpath2html(nb).stem   # nbdev's page name: '04a_archives' -> 'archives'

def _inputs():
    "Everything the site is built from: a build older than any of these is stale"
    fs = [*nbs.rglob('*.ipynb'), *nbs.glob('*.css'), *nbs.glob('*.y*ml'), *(root/'tools').glob('docs*.py'),
          *(root/'tools'/'docs_site').rglob('*'), *(root/'drop_nb').glob('*.py'), root/'settings.ini', root/'pyproject.toml']
    return [f for f in fs if f.is_file() and '.ipynb_checkpoints' not in f.parts and f.name not in ('nbdev.yml', 'sidebar.yml')]

def _fresh():
    idx = site/'index.html'
    return idx.exists() and idx.stat().st_mtime >= max(f.stat().st_mtime for f in _inputs())

crawl_json = root/'_proc'/'.docs-test-crawl.json'

@contextlib.contextmanager
def _locked():
    "One build and one crawl at a time across pytest-xdist workers"
    (root/'_proc').mkdir(exist_ok=True)
    with open(root/'_proc'/'.docs-test.lock', 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try: yield
        finally: fcntl.flock(f, fcntl.LOCK_UN)

def _build():
    "Build the site unless a build newer than all its inputs is there: (seconds, exit code, output tail)"
    if _fresh(): return 0., 0, ''
    t0 = time.time()
    r = subprocess.run([sys.executable, str(root/'tools'/'docs.py'), 'build'], cwd=root, capture_output=True, text=True)
    return time.time() - t0, r.returncode, (r.stdout[-3000:] + '\n' + r.stderr[-3000:]).strip()

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

@contextlib.contextmanager
def _serve():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally: httpd.shutdown(); httpd.server_close()

# MathJax 2 typesets after `load`: wait for its startup typeset (pages without math have no MathJax)
_WAIT_MATH = """async () => {
  const t0 = Date.now(), sleep = () => new Promise(r => setTimeout(r, 50));
  const ready = () => window.MathJax && MathJax.Hub && MathJax.Hub.Startup && MathJax.Hub.queue;
  while (!ready() || !MathJax.Hub.Startup.signal.posted.includes('End') || MathJax.Hub.queue.pending || MathJax.Hub.queue.running) {
    if (!document.querySelector('script[src*="MathJax.js"]')) return 'no MathJax';
    if (Date.now() - t0 > 30000) return 'MathJax timed out';
    await sleep();
  }
  return 'typeset';
}"""

# Visible text outside code, scripts and MathJax's output: where raw TeX would show
_PROSE = """() => {
  const c = document.body.cloneNode(true);
  c.querySelectorAll('script, style, pre, code, .highlight, [class^="MathJax"], [class*=" MathJax"], .MJX_Assistive_MathML, mjx-container, .katex, math').forEach(e => e.remove());
  return c.textContent;
}"""

_PAGE_INFO = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  imgs: [...document.querySelectorAll('img')].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id).concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
  math: document.querySelectorAll('span.math, div.math, .math.inline, .math.display').length,
  typeset: document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG, mjx-container, .katex').length,
  mathErrors: document.querySelectorAll('.MathJax_Error, merror, .katex-error').length,
  sidebar: [...document.querySelectorAll('.sidebar-tree a.reference, #quarto-sidebar a.sidebar-item-text, #quarto-sidebar .sidebar-link')].map(a => a.href),
})"""

_CONTENT_IMGS = """() => [...document.querySelectorAll('img')]
    .filter(i => !i.closest('header, nav, .sidebar-drawer, .sidebar-brand, #quarto-header'))
    .map(i => ({src: i.src, w: i.naturalWidth, ok: i.complete}))"""

# The first table after the `drop_quotas` reference heading, before the next heading of its level (null: no heading)
_QUOTA_ROWS = """() => {
  const h = [...document.querySelectorAll('h2, h3, h4')].find(e => e.textContent.replace(/[¶#]/g, '').trim() === 'drop_quotas');
  if (!h) return null;
  const level = h.tagName, all = [...document.querySelectorAll('h2, h3, h4, table')];
  for (const e of all.slice(all.indexOf(h) + 1)) {
    if (e.tagName === 'TABLE') return [...e.querySelectorAll('tr')].map(r => [...r.cells].map(c => c.textContent.trim()));
    if (e.tagName <= level) return [];
  }
  return [];
}"""

_RAW_TEX = re.compile(r'\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]{0,200}?\\[A-Za-z]+[^$\n]{0,200}?\$')

def _visit(browser, url, name):
    "Open `url`; return what it shows and every problem seen"
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.set_default_timeout(60000)
    errors, origin = [], urlsplit(url).netloc
    page.on('console', lambda m: m.type == 'error' and errors.append(f'console error: {m.text} ({m.location.get("url", "")})'))
    page.on('pageerror', lambda e: errors.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: errors.append(f'request failed: {r.url} ({r.failure})'))
    page.on('response', lambda r: r.status >= 400 and errors.append(f'HTTP {r.status}: {r.url}'))
    resp = page.goto(url, wait_until='load')
    if resp is None or resp.status != 200: errors.append(f'HTTP {resp and resp.status} opening the page')
    if (m := page.evaluate(_WAIT_MATH)) == 'MathJax timed out': errors.append(m)
    page.wait_for_load_state('networkidle')
    info = page.evaluate(_PAGE_INFO)
    prose = page.evaluate(_PROSE)
    shots.mkdir(parents=True, exist_ok=True)
    h = min(page.evaluate('document.documentElement.scrollHeight'), 3000)   # the top of long pages: full ones are slow
    page.screenshot(path=str(shots/f'{name}.png'), full_page=True, clip={'x': 0, 'y': 0, 'width': 1280, 'height': h})
    info.update(url=url, errors=errors, content_imgs=page.evaluate(_CONTENT_IMGS), quota_rows=page.evaluate(_QUOTA_ROWS))
    page.close()
    raw = [prose[max(0, m.start()-30):m.end()+30].strip() for m in _RAW_TEX.finditer(prose)]
    if raw: errors.append(f'raw unrendered math ({len(raw)} places): ' + ' | '.join(map(repr, raw[:3])))
    if info['mathErrors']: errors.append(f'{info["mathErrors"]} MathJax errors')
    if info['math'] and not info['typeset']: errors.append(f'{info["math"]} math elements but nothing typeset by MathJax')
    for i in info['imgs']:
        if urlsplit(i['src']).netloc == origin and not i['ok']: errors.append(f'broken image: {i["src"]}')
    return info

def _check_links(pages, server):
    "Every same-origin link of every page resolves (HTTP 200), and its #fragment exists on the target page"
    cache = {}
    for name, info in pages.items():
        for link in dict.fromkeys(info['links']):
            if urlsplit(link).netloc != urlsplit(server).netloc: continue
            base, _, frag = link.partition('#')
            if base not in cache:
                try:
                    with urlopen(base, timeout=30) as r:
                        cache[base] = (r.status, r.read().decode('utf-8', 'replace') if 'html' in r.headers.get('content-type', '') else '')
                except HTTPError as e: cache[base] = (e.code, '')
            status, html = cache[base]
            if status != 200: info['errors'].append(f'broken link {link} (HTTP {status})'); continue
            if frag and html and not re.search(rf'(id|name)=["\']{re.escape(unquote(frag))}["\']', html):
                info['errors'].append(f'link {link}: no #{frag} on the target page')

def _crawl(server):
    "The home page and every sidebar page, visited once: name -> what it shows and its problems"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            res = {'index': _visit(b, server, 'index')}
            for href in dict.fromkeys(u.split('#')[0] for u in res['index']['sidebar']):
                name = Path(urlsplit(href).path).stem or 'index'
                if name not in res: res[name] = _visit(b, href, name)
        finally: b.close()
    _check_links(res, server)
    return res

@pytest.fixture(scope='module')
def build():
    "The docs build (reused when fresh): its time, exit code, output and `_docs/.build.json`"
    with _locked(): dt, rc, log = _build()
    print(f'docs build: {dt:.1f}s' if dt else 'docs build: reused the fresh _docs/')
    status = json.loads((site/'.build.json').read_text()) if (site/'.build.json').exists() else {}
    return dict(seconds=dt, rc=rc, log=log, status=status)

@pytest.fixture(scope='module')
def pages(build):
    "The crawl of the built site in headless Chromium (cached beside the build for the other xdist worker)"
    if not Path(CHROMIUM).exists():
        pytest.skip(f'{CHROMIUM} not found: install the Debian package `chromium` (.ci/run installs .ci/apt-packages)')
    pytest.importorskip('playwright.sync_api', reason='the `playwright` package is missing: pip install -e ".[dev]"')
    assert (site/'index.html').exists(), f'the docs build made no site:\n{build["log"]}'
    with _locked():
        idx, me = (site/'index.html').stat().st_mtime, Path(__file__).stat().st_mtime
        if crawl_json.exists() and crawl_json.stat().st_mtime >= max(idx, me):
            return json.loads(crawl_json.read_text())
        t0 = time.time()
        with _serve() as server: res = _crawl(server)
        print(f'crawled {len(res)} pages in {time.time()-t0:.1f}s; screenshots in {shots}')
        crawl_json.write_text(json.dumps(res))
        return res

def test_docs_build_processes_every_notebook(build):
    failed = build['status'].get('failed')
    assert build['rc'] == 0 and not failed, f'docs build failed (exit {build["rc"]}): {failed}\n{build["log"]}'

def _notebook_order():
    "Page names of the notebooks in nbs/ in nbdev's sidebar order (index first, then by file name)"
    nbs_ = sorted(p for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')))
    return sorted({_page_stem(p) for p in nbs_}, key=lambda s: (s != 'index', [p.name for p in nbs_ if _page_stem(p) == s][0]))

def test_sidebar_follows_notebook_order(pages):
    got = [Path(urlsplit(u).path).stem or 'index' for u in dict.fromkeys(x.split('#')[0] for x in pages['index']['sidebar'])]
    want = _notebook_order()
    assert [g for g in got if g != 'index'] == [w for w in want if w != 'index'], f'sidebar {got} != notebooks {want}'

def test_pages_render_cleanly(pages):
    "No console error, HTTP error, broken link or image, or raw math on the home page or any sidebar page"
    problems = [f'{name}: {e}' for name, info in pages.items() for e in info['errors']]
    assert not problems, '\n'.join(problems)

def _need(nb_name, page_name, pages):
    if not (nbs/nb_name).exists(): pytest.skip(f'nbs/{nb_name} does not exist yet: its page check waits for it')
    assert page_name in pages, f'nbs/{nb_name} exists but the sidebar has no {page_name} page: {list(pages)}'
    return pages[page_name]

def test_theory_shows_toy_figure(pages):
    imgs = _need('00_theory.ipynb', 'theory', pages)['content_imgs']
    assert any(i['ok'] and i['w'] > 0 for i in imgs), f'the theory page shows no loaded figure (saved outputs?): {imgs}'

def test_quota_reference_has_parameter_table(pages):
    rows = _need('01_quotas.ipynb', 'quotas', pages)['quota_rows']
    params = ['recalls', 'class_sizes', 'density']
    try:
        q = importlib.import_module('drop_nb.quotas')
        params = [p for p in inspect.signature(q.drop_quotas).parameters if p not in ('args', 'kwargs')]
    except Exception: pass
    assert rows is not None, 'the quotas page has no `drop_quotas` reference heading'
    assert rows, '`drop_quotas` reference has no parameter table'
    first = [r[0] for r in rows if r]
    assert all(p in first for p in params), f'parameter table rows {first} miss some of {params}'
