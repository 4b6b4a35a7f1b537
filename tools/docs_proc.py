"""nbdev's notebook processing for the docs (`nbdev-proc-nbs`), run so that one failing notebook doesn't hide the rest.

`python tools/docs_proc.py N_WORKERS FORCE OUT_JSON` runs `nbdev.quarto.nbdev_proc_nbs` unchanged except that
(1) it does not try to download and install Quarto; (2) each notebook's processing runs in `safe_main`, which
records an error instead of stopping every other worker, and removes that notebook's stale page from `_proc/`
(nbdev's cache would otherwise keep it); (3) of the cells nbdev runs to build `show_doc` entries (exported cells,
`show_doc` cells, and every cell with an import), it leaves out those flagged with a `tst_flags` directive
(`#| slow`, `#| cuda`: skipped by plain nbdev-test too) and those mixing imports with other code (nbdev warns
about them: "Found cells containing imports and other code. See FAQ"), which `show_doc` never needs and which
fail or run long out of their notebook's order. Those cells are listed as notes. Results go to OUT_JSON
(notebook -> {error, skipped}). Run by tools/docs.py."""
import json, sys, traceback
from pathlib import Path

_skipped = []

def _import_only(trees):
    "Top-level statements are imports (or `try: import ...` guards)"
    import ast
    imp = (ast.Import, ast.ImportFrom)
    return all(isinstance(t, imp) or (isinstance(t, ast.Try) and all(isinstance(b, imp) for b in t.body)) for t in trees)

def _patch_do_eval():
    "nbdev's choice of cells to run, less flagged cells and cells mixing imports with other code"
    import nbdev.processors as P
    from nbdev.config import get_config
    if getattr(P._do_eval, '_docs', False): return
    orig, flags = P._do_eval, set(str(get_config().get('tst_flags', '') or '').split())
    def _do_eval(cell):
        r = orig(cell)
        if not r: return r
        d = cell.directives_
        if d.keys() & {'export', 'exports', 'exporti', 'exec_doc'}: return r
        trees = cell.parsed_()
        if P._show_docs(trees): return r
        why = 'flagged ' + ' '.join(sorted(d.keys() & flags)) if d.keys() & flags else None
        if why is None and not _import_only(trees): why = 'imports mixed with other code'
        if why is None: return r
        first = next((l for l in cell.source.strip().splitlines() if not l.startswith('#|')), '')
        _skipped.append(f'cell {cell.idx_} ({why}): {first[:80]}')
        return False
    _do_eval._docs = True
    P._do_eval = _do_eval

def safe_main(o):
    "nbdev's per-file worker (`nbdev.serve_drv.main`), returning `(source, {error, skipped})` instead of raising"
    import nbdev.serve_drv
    _patch_do_eval(); _skipped.clear()
    err = None
    try: nbdev.serve_drv.main(o)
    except BaseException as e:
        Path(o[1]).unlink(missing_ok=True)
        err = ''.join(traceback.format_exception_only(type(e), e)).strip()[-3000:]
    if err or _skipped: return str(o[0]), dict(error=err, skipped=list(_skipped))

def _this(): return sys.modules.get('docs_proc') or sys.modules[__name__]

def run(n_workers:int, force:bool, out:str):
    import nbdev.quarto as q, nbdev.serve as s
    q._ensure_quarto = lambda: None          # no network here; nbdev would try `curl` + `sudo dpkg -i`
    errors, par = {}, s.parallel
    def parallel(f, items, *args, **kwargs):
        res = par(_this().safe_main, items, *args, **kwargs)
        errors.update(r for r in res if r)
        return res
    s.parallel = parallel
    q.nbdev_proc_nbs.__wrapped__(n_workers=n_workers, force=force)
    Path(out).write_text(json.dumps(errors, indent=1))
    for k, v in errors.items():
        if v['skipped']: print(f'[docs] note: {Path(k).name}: cells not run for show_doc: ' + '; '.join(v['skipped']), file=sys.stderr)
        if v['error']: print(f'[docs] nbdev could not process {k}:\n{v["error"]}\n', file=sys.stderr)

if __name__ == '__main__':
    import docs_proc   # the workers unpickle `docs_proc.safe_main`, not `__main__.safe_main`
    docs_proc.run(int(sys.argv[1]), sys.argv[2] == '1', sys.argv[3])
