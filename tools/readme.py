#!/usr/bin/env python
"""Write README.md and its figures from nbs/index.ipynb offline (nbdev-readme needs Quarto); `--check` fails if either is stale.

Follows nbdev's directives: `#| hide` cells are dropped, `#| echo: false` keeps only the output (no empty code block),
`#| output: false` keeps only the source, and the remaining `#|` lines are stripped. Figures (png, jpeg, svg outputs)
are written to `images/readme/` and the README links to them, as `nbdev-readme` does with Quarto's figure folder."""
import argparse, copy, re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parents[1]
fig_dir = 'images/readme'  # relative to the repository root, where README.md lives
_dir = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*)$')
_img = ('image/png', 'image/jpeg', 'image/svg+xml')

def _directives(src):
    "Map of the `#|` directives at the top of a cell's source"
    d = {}
    for line in src.splitlines():
        m = _dir.match(line.strip())
        if not m: break
        d[m.group(1)] = m.group(2).strip().lower()
    return d

def _shown(o):
    "Whether the README shows output `o`: streams, figures and results with a plain-text form"
    if o.output_type == 'stream': return True
    data = o.get('data', {}) if o.output_type in ('execute_result', 'display_data') else {}
    return 'text/plain' in data or any(k in data for k in _img)

def _proc_cell(cell):
    "The cell as the README shows it, or None to drop it"
    if cell.cell_type != 'code': return cell
    d = _directives(cell.source)
    if 'hide' in d or 'export' in d or d.get('include') == 'false': return None
    cell = copy.deepcopy(cell)
    cell.source = '\n'.join(l for l in cell.source.splitlines() if not l.strip().startswith('#|')).strip()
    if d.get('output') == 'false': cell.outputs = []
    cell.outputs = [o for o in cell.get('outputs', []) if _shown(o)]
    if d.get('echo') == 'false' or not cell.source: cell.metadata['transient'] = {'remove_source': True}
    if not cell.source and not cell.outputs: return None
    return cell

def render(nb_path=root/'nbs'/'index.ipynb'):
    "README text and its figures ({path relative to the repo root: bytes}) for the notebook at `nb_path`"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in map(_proc_cell, nb.cells) if c is not None]
    nb.metadata['language_info'] = {'name': 'python'}
    ex = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    body, res = ex.from_notebook_node(nb, resources={'unique_key': 'index', 'output_files_dir': fig_dir})
    body = re.sub(r'\]\((?!https?:|/|#)([^)]+\.ipynb)\)', r'](nbs/\1)', body)  # links between notebooks, seen from the top
    body = re.sub(r'!\[(?:png|jpeg|svg)\]\(', '![figure](', body)
    body = re.sub(r'\n[ \t]+(?=\n)', '\n', body)  # whitespace-only lines the templates leave
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    head = '<!-- Generated from nbs/index.ipynb by `python tools/readme.py`; edit the notebook, not this file. -->\n\n'
    return head + body, dict(res.get('outputs', {}))

def _stale(txt, figs):
    "What differs between the files on disk and (`txt`, `figs`)"
    readme, out = root/'README.md', []
    if not readme.exists() or readme.read_text(encoding='utf-8') != txt: out.append('README.md')
    out += [f for f, b in figs.items() if not (root/f).exists() or (root/f).read_bytes() != b]
    out += [p.relative_to(root).as_posix() for p in sorted((root/fig_dir).glob('*')) if p.relative_to(root).as_posix() not in figs]
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='exit 1 if README.md or its figures differ from what the notebook gives')
    args = ap.parse_args()
    txt, figs = render()
    if args.check:
        stale = _stale(txt, figs)
        if stale: sys.exit(f'stale: {stale}; run `python tools/readme.py` and commit the result.')
        return print('README.md and its figures are up to date.')
    (root/fig_dir).mkdir(parents=True, exist_ok=True)
    for p in (root/fig_dir).glob('*'):
        if p.relative_to(root).as_posix() not in figs: p.unlink()
    for f, b in figs.items(): (root/f).write_bytes(b)
    (root/'README.md').write_text(txt, encoding='utf-8')
    print(f'wrote README.md and {len(figs)} figure(s) in {fig_dir}/')

if __name__ == '__main__': main()
