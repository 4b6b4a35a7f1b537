#!/usr/bin/env python
"""Build the docs site from the notebooks into `_docs/`, offline: `python tools/docs.py build` (or `serve`).

1. nbdev's own processing (`nbdev-proc-nbs`): notebooks -> `_proc/` with `show_doc` entries added and
   executed, `#| hide` cells dropped, front matter from the title cell, sidebar order in `sidebar.yml`.
2. When `quarto` is on PATH: `nbdev-docs`, nbdev's normal path (Quarto renders `_proc/` into `_docs/`).
   Otherwise Sphinx + myst-nb (+ the furo theme) render the same processed notebooks, without executing them:
   a small staging step turns Quarto's notebook conventions (front matter, `#|` directives, callouts,
   `.ipynb` links) into myst-nb's (title heading, cell tags, admonitions, document links) and adds the
   sidebar order as a hidden toctree. MathJax comes from the `jupyter-server-mathjax` package, copied into the
   site, so math renders with no network.

In both paths `show_doc` uses `tools/docs_showdoc.TableRenderer` (nbdev's entry plus fastcore's parameter
table), chosen through nbdev's `renderer` setting in a user config that exists only for the build. Without Quarto,
nbdev's processing runs through `tools/docs_proc.py`: a notebook nbdev cannot process is reported (the build exits 1
after rendering the others), and `#| slow`/`#| cuda` cells and cells mixing imports with other code are not re-run
for `show_doc` (their saved outputs stay). Status: `_docs/.build.json`. Serve with `python tools/docs.py serve`."""
import argparse, copy, functools, json, os, posixpath, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from nbdev.config import nbpath2html

root = Path(__file__).resolve().parents[1]
tools = root/'tools'
site_cfg = tools/'docs_site'           # Sphinx conf.py and the site's css
proc = root/'_proc'                    # nbdev's processed notebooks
stage = proc/'.sphinx'/'src'           # staged copy for myst-nb (dot folder: nbdev's stale-page sweep skips it)
doctrees = proc/'.sphinx'/'doctrees'
out = root/'_docs'
MATHJAX_CONFIG = 'TeX-AMS-MML_HTMLorMML-full'
DOC_SUFFIXES = ('.ipynb', '.md')

def log(*a): print('[docs]', *a, flush=True)

def mathjax_dir():
    "The MathJax 2 tree shipped by `jupyter-server-mathjax`"
    import jupyter_server_mathjax
    d = Path(jupyter_server_mathjax.__file__).parent/'static'
    if not (d/'MathJax.js').exists(): raise FileNotFoundError(f'no MathJax.js in {d}: reinstall jupyter-server-mathjax')
    return d

# --- 1. nbdev processing -------------------------------------------------------------------------------------

def _build_env(tmp):
    "Environment for nbdev: `renderer` set in a build-only user config, `tools/` importable by the workers"
    env = dict(os.environ)
    cfgdir = Path(tmp)/'nbdev'; cfgdir.mkdir(parents=True)
    user = Path(os.environ.get('XDG_CONFIG_HOME') or Path.home()/'.config')/'nbdev'/'config.toml'
    txt = user.read_text() if user.exists() else ''
    txt = re.sub(r'(?m)^renderer\s*=.*$', '', txt)
    (cfgdir/'config.toml').write_text(txt + '\nrenderer = "docs_showdoc.TableRenderer"\n')
    env['XDG_CONFIG_HOME'] = str(tmp)
    env['PYTHONPATH'] = os.pathsep.join([str(tools)] + [p for p in [env.get('PYTHONPATH')] if p])
    env.setdefault('MPLBACKEND', 'Agg')
    return env

def run_nbdev(env, force=False, n_workers=None, quarto=False):
    "nbdev's processing (or the whole of `nbdev-docs` when Quarto renders); returns {notebook: error} it could not process"
    n_workers = n_workers if n_workers is not None else min(2, os.cpu_count() or 1)
    # nbdev keeps processed notebooks between builds; a changed renderer must reprocess them all
    if proc.exists() and max(f.stat().st_mtime for f in tools.glob('docs_*.py')) > proc.stat().st_mtime: force = True
    if quarto:
        if force: shutil.rmtree(proc, ignore_errors=True)
        log('nbdev-docs (nbdev processing, then Quarto)')
        r = subprocess.run([str(Path(sys.executable).parent/'nbdev-docs'), '--n-workers', str(n_workers)], cwd=root, env=env)
        return {} if r.returncode == 0 else {'nbdev-docs': f'nbdev-docs failed (exit {r.returncode}): see its output above'}
    log('nbdev processing (nbdev-proc-nbs) -> _proc/')
    errs = Path(env['XDG_CONFIG_HOME'])/'errors.json'
    r = subprocess.run([sys.executable, str(tools/'docs_proc.py'), str(n_workers), '1' if force else '0', str(errs)],
                       cwd=root, env=env)
    if r.returncode or not errs.exists(): sys.exit(f'[docs] nbdev processing failed (exit {r.returncode})')
    return {k: v['error'] for k, v in json.loads(errs.read_text()).items() if v['error']}

# --- 2. staging for myst-nb ----------------------------------------------------------------------------------

def sidebar_pages(sidebar=None):
    "Doc pages in nbdev's sidebar order (`sidebar.yml`, sections flattened), as paths relative to `_proc/`"
    import yaml
    sidebar = sidebar or proc/'sidebar.yml'
    items = yaml.safe_load(sidebar.read_text())['website']['sidebar']['contents']
    res = []
    def walk(xs):
        for x in xs:
            if isinstance(x, str): res.append(x)
            elif isinstance(x, dict):
                if x.get('href'): res.append(x['href'])
                walk(x.get('contents', []))
    walk(items)
    return [p for p in res if p.endswith(DOC_SUFFIXES) and (proc/p).exists()]

_re_fm = re.compile(r'^\s*---\s*\n(.*?)\n---\s*$', re.S)
_re_dir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def front_matter(nb):
    "nbdev puts a notebook's title, description and output file in a leading raw YAML cell"
    import yaml
    if nb.cells and nb.cells[0].cell_type == 'raw':
        m = _re_fm.match(nb.cells[0].source)
        if m: return yaml.safe_load(m.group(1)) or {}, 1
    return {}, 0

def page_name(rel, fm):
    "Staged file name: the stem of Quarto's output file, so URLs match nbdev's Quarto site (`01_quotas` -> `quotas.html`)"
    of = fm.get('output-file')
    stem = Path(of).stem if of else nbpath2html(Path(rel).name).stem   # nbdev's rule: '04a_archives' -> 'archives'
    return str(Path(rel).parent/stem) if str(Path(rel).parent) != '.' else stem

_TAGS = {('echo', 'false'): 'remove-input', ('output', 'false'): 'remove-output', ('include', 'false'): 'remove-cell',
         ('code-fold', 'true'): 'hide-input', ('code-fold', 'show'): 'hide-input', ('warning', 'false'): 'remove-stderr'}

_CELL_KEYS = {'code': {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count'}}
_re_sd = re.compile(r'^\s*show_doc\(', re.M)

def show_doc_outputs(cell):
    "nbdev's `show_doc` entries open with a `---` rule, which docutils can't place in an output: a css border instead"
    cell.metadata['tags'] = list(cell.metadata.get('tags', [])) + ['show-doc']
    for o in cell.get('outputs', []):
        md = o.get('data', {}).get('text/markdown')
        if md is not None:
            md = ''.join(md) if isinstance(md, list) else md
            o['data']['text/markdown'] = re.sub(r'^\s*---\s*\n', '', md)

def _asis(cell, links):
    "The markdown cell a `#| output: asis` cell stands for (Quarto pastes such output into the page), else None"
    import nbformat
    if not any(_re_dir.match(l) and re.match(r'output\s*:\s*asis', l.strip()[2:].strip()) for l in cell.source.splitlines()):
        return None
    md = []
    for o in cell.get('outputs', []):
        d = o.get('data', {})
        t = d.get('text/markdown', d.get('text/plain')) if o.get('output_type') != 'stream' else o.get('text')
        if t is not None: md.append(''.join(t) if isinstance(t, list) else t)
    md = '\n\n'.join(md)
    if _re_sd.search(cell.source):   # nbdev's entry: `---` rule, `### name`: keep Quarto's anchor (`#name`) for nbdev's links
        md = re.sub(r'^\s*---\s*\n', '', md)
        md = re.sub(r'(?m)^(#{1,6}) (\S+)\s*$', lambda m: f'<span id="{m.group(2).lower()}"></span>\n\n{m.group(0)}', md, count=1)
    c = nbformat.v4.new_markdown_cell(markdown(md, links))
    if _re_sd.search(cell.source): c.metadata['tags'] = ['show-doc']
    return c

def code_cell(cell):
    "Quarto's `#|` directives -> myst-nb cell tags; directive lines removed from the shown source"
    for k in set(cell) - _CELL_KEYS['code']: del cell[k]     # nbdev's private marks (`has_sd`) aren't nbformat
    cell.metadata.pop('execution', None)                       # nor are its float timings there
    if _re_sd.search(cell.source): show_doc_outputs(cell)
    lines = cell.source.splitlines()
    tags = list(cell.metadata.get('tags', []))
    keep = []
    for i, l in enumerate(lines):
        m = _re_dir.match(l)
        if m and all(_re_dir.match(x) or not x.strip() for x in lines[:i]):
            t = _TAGS.get((m.group(1), m.group(2).lower().strip('"\'')))
            if t and t not in tags: tags.append(t)
        else: keep.append(l)
    cell.source = '\n'.join(keep).strip('\n')
    if tags: cell.metadata['tags'] = tags
    if not cell.source.strip() and 'remove-input' not in tags: cell.metadata['tags'] = tags + ['remove-input']
    return cell

_CALLOUTS = {'note': 'note', 'tip': 'tip', 'warning': 'warning', 'important': 'important', 'caution': 'caution'}
_re_div = re.compile(r'^(\s*)(:{3,})\s*(\{[^}]*\})?\s*$')

def markdown(src, links):
    "Quarto markdown -> MyST: callouts to admonitions, other fenced divs unwrapped, notebook links to page links"
    res, stack, fence = [], [], None
    for l in src.splitlines():
        f = re.match(r'^\s*(`{3,}|~{3,})', l)
        if f and (fence is None or f.group(1).startswith(fence)): fence = None if fence else f.group(1)
        m = None if fence or f else _re_div.match(l)     # leave code blocks alone
        if m and (m.group(3) or stack):
            ind, colons, attrs = m.groups()
            if attrs:   # opening fence
                c = re.search(r'\.callout-(\w+)', attrs)
                kind = _CALLOUTS.get(c.group(1)) if c else None
                t = re.search(r'title\s*=\s*"([^"]*)"', attrs)
                if kind and t: res.append(f'{ind}{colons}{{admonition}} {t.group(1)}\n{ind}:class: {kind}')
                elif kind: res.append(f'{ind}{colons}{{{kind}}}')
                stack.append(bool(kind))
            else:       # closing fence
                if stack.pop(): res.append(l)
            continue
        res.append(l)
    src = '\n'.join(res)
    def _link(m):
        target, anchor = m.group(2), m.group(3) or ''
        key = _local(target)
        return f'{m.group(1)}{links[key]}{anchor})' if key in links else m.group(0)
    return _re_link.sub(_link, src)

_re_link = re.compile(r'(\]\()([^)\s#]*?\.(?:ipynb|qmd|md|html))(#[^)\s]*)?\)')

@functools.cache
def _doc_prefixes():
    "URL prefixes of the published site (settings.ini doc_host + doc_baseurl), stripped from nbdev's doc links"
    import configparser
    ini = configparser.ConfigParser(); ini.read(root/'settings.ini')
    host, base = ini['DEFAULT'].get('doc_host', '').rstrip('/'), ini['DEFAULT'].get('doc_baseurl', '').strip('/')
    return [p for p in (f'{host}/{base}/' if base else '', f'{host}/', f'/{base}/' if base else '', '/') if p and p != '//']

def _local(url):
    "A link target as a path relative to the site root, when it points into the site"
    for p in _doc_prefixes():
        if url.startswith(p): return url[len(p):]
    return url[2:] if url.startswith('./') else url

def stage_notebook(src, dst, links, title_only=False):
    "Write the myst-nb version of one processed notebook"
    import nbformat
    nb = nbformat.read(src, as_version=4)
    fm, skip = front_matter(nb)
    cells = []
    title = fm.get('title') or Path(src).stem
    head = f'# {title}'
    if fm.get('description'): head += '\n\n{.description}\n' + str(fm['description'])
    cells.append(nbformat.v4.new_markdown_cell(head))
    for c in nb.cells[skip:]:
        c = copy.deepcopy(c)
        if c.cell_type == 'markdown': c.source = markdown(c.source, links)
        elif c.cell_type == 'code':
            asis = _asis(c, links)
            c = code_cell(c)
            if asis is not None:   # `#| output: asis`: the output is markdown of the page itself (show_doc entries)
                if 'remove-input' not in c.metadata.get('tags', []) and c.source.strip():
                    c.outputs = []; cells.append(c)
                cells.append(asis); continue
        elif c.cell_type == 'raw': continue      # other raw cells are Quarto-format specific
        cells.append(c)
    nb.cells = cells
    nb.metadata.setdefault('kernelspec', {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'})
    nb.metadata['language_info'] = {**nb.metadata.get('language_info', {}), 'name': 'python'}
    return nb

def _title(nb):
    "A staged notebook's title (its first heading)"
    return re.sub(r'[<>`]', '', nb.cells[0].source.splitlines()[0].lstrip('# ').strip()) or 'Home'

def stage_site():
    "Stage `_proc/` for Sphinx: pages in sidebar order, `index` first with a hidden toctree of the others"
    import nbformat
    shutil.rmtree(stage, ignore_errors=True); stage.mkdir(parents=True)
    pages = sidebar_pages()
    if not any(Path(p).stem == 'index' for p in pages): sys.exit('[docs] no index notebook in _proc/sidebar.yml')
    names = {}
    for p in pages:
        fm = front_matter(nbformat.read(proc/p, as_version=4))[0] if p.endswith('.ipynb') else {}
        names[p] = page_name(p, fm)
    site_links = {}   # any name a page goes by (source notebook, Quarto output, staged name) -> its html, from the root
    for p, n in names.items():
        for k in (p, Path(p).with_suffix('.html').as_posix(), n + '.html', n + Path(p).suffix): site_links[k] = n + '.html'
    order = [names[p] for p in pages if names[p] != 'index']
    for p, n in names.items():
        dst = stage/(n + Path(p).suffix); dst.parent.mkdir(parents=True, exist_ok=True)
        here = posixpath.dirname(n)
        links = {k: posixpath.relpath(v, here or '.') for k, v in site_links.items()}
        if p.endswith('.md'):
            dst.write_text(markdown((proc/p).read_text(), links)); continue
        nb = stage_notebook(proc/p, dst, links)
        if n == 'index':
            # the home page first, as in nbdev's Quarto sidebar
            toc = '```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join([f'{_title(nb)} <self>'] + order) + '\n```'
            nb.cells.append(nbformat.v4.new_markdown_cell(toc))
        nbformat.write(nb, dst)
    (stage/'_static').mkdir()
    log(f'staged {len(names)} pages in sidebar order: {", ".join(["index"] + order)}')
    return ['index'] + order

def sphinx_build(quiet=True):
    "Render the staged notebooks with Sphinx + myst-nb into `_docs/` (clean), MathJax copied in"
    tmp_out = proc/'.sphinx'/'html'
    shutil.rmtree(tmp_out, ignore_errors=True)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-c', str(site_cfg), '-d', str(doctrees), '-j', '1',
           '--keep-going', str(stage), str(tmp_out)] + (['-q'] if quiet else [])
    r = subprocess.run(cmd, cwd=root, env={**os.environ, 'DROP_NB_DOCS_ROOT': str(root)})
    if r.returncode: sys.exit(f'[docs] sphinx-build failed (exit {r.returncode})')
    shutil.copytree(mathjax_dir(), tmp_out/'_static'/'mathjax', dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns('LICENSE', '*.md'))
    (tmp_out/'.nojekyll').touch()
    shutil.rmtree(tmp_out/'_sources', ignore_errors=True)   # empty: html_copy_source is off
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(str(tmp_out), str(out))

def build(force=False, renderer='auto', n_workers=None, quiet=True):
    "The whole site into `_docs/`; returns its status (also in `_docs/.build.json`), exits 1 if a notebook failed"
    t0 = time.time()
    quarto = shutil.which('quarto') is not None if renderer == 'auto' else renderer == 'quarto'
    with tempfile.TemporaryDirectory() as tmp:
        env = _build_env(tmp)
        failed = run_nbdev(env, force=force, n_workers=n_workers, quarto=quarto)
    t1 = time.time()
    if quarto: pages = [p.stem for p in out.glob('*.html')]
    else:
        log(f'nbdev processing {t1-t0:.1f}s')
        pages = stage_site()
        sphinx_build(quiet=quiet)
    status = dict(renderer='quarto' if quarto else 'sphinx+myst-nb', pages=pages, failed=failed,
                  nbdev_s=round(t1-t0, 1), render_s=round(time.time()-t1, 1), total_s=round(time.time()-t0, 1))
    if out.exists(): (out/'.build.json').write_text(json.dumps(status, indent=1))
    log(f'{status["renderer"]} site in {out.relative_to(root)}/: {len(pages)} pages, nbdev {status["nbdev_s"]}s + '
        f'render {status["render_s"]}s = {status["total_s"]}s')
    if failed:
        log(f'FAILED: {", ".join(Path(k).name for k in failed)}: see the errors above' +
            ('' if quarto else ' (those notebooks have no page)'))
        sys.exit(1)
    return status

def serve(port=8000, bind='127.0.0.1'):
    "Serve `_docs/` locally"
    import functools, http.server
    h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    with http.server.ThreadingHTTPServer((bind, port), h) as s:
        log(f'serving {out} at http://{bind}:{port}/ (Ctrl-C stops)'); s.serve_forever()

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('build', help='process the notebooks and render the site into _docs/')
    b.add_argument('--force', action='store_true', help="reprocess every notebook (ignore nbdev's _proc/ cache)")
    b.add_argument('--renderer', choices=['auto', 'quarto', 'sphinx'], default='auto',
                   help='auto: Quarto when `quarto` is on PATH, else Sphinx + myst-nb')
    b.add_argument('--n-workers', type=int, default=None, help="nbdev's processing workers (default: up to 2)")
    b.add_argument('-v', '--verbose', action='store_true', help="show Sphinx's progress")
    s = sub.add_parser('serve', help='serve _docs/ on 127.0.0.1')
    s.add_argument('--port', type=int, default=8000)
    a = ap.parse_args()
    if a.cmd == 'build': build(force=a.force, renderer=a.renderer, n_workers=a.n_workers, quiet=not a.verbose)
    else: serve(a.port)

if __name__ == '__main__': main()
