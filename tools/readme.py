#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb offline (nbdev-readme needs Quarto); `--check` fails if README.md is stale.

Follows nbdev's directives: `#| hide` cells are dropped, `#| echo: false` keeps only the output,
`#| output: false` keeps only the source, and the remaining `#|` lines are stripped. Image outputs are
left out: the README shows figures through markdown image links to files committed in the repo."""
import argparse, copy, re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parents[1]
_dir = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*)$')

def _directives(src):
    "Map of the `#|` directives at the top of a cell's source"
    d = {}
    for line in src.splitlines():
        m = _dir.match(line.strip())
        if not m: break
        d[m.group(1)] = m.group(2).strip().lower()
    return d

def _proc_cell(cell):
    "The cell as the README shows it, or None to drop it"
    if cell.cell_type != 'code': return cell
    d = _directives(cell.source)
    if 'hide' in d or 'export' in d or d.get('include') == 'false': return None
    cell = copy.deepcopy(cell)
    cell.source = '\n'.join(l for l in cell.source.splitlines() if not l.strip().startswith('#|')).strip()
    if d.get('echo') == 'false': cell.source = ''
    if d.get('output') == 'false': cell.outputs = []
    cell.outputs = [o for o in cell.get('outputs', []) if o.output_type == 'stream' or
                    (o.output_type in ('execute_result', 'display_data') and 'text/plain' in o.get('data', {})
                     and not any(k.startswith('image/') for k in o.get('data', {})))]
    return cell

def render(nb_path=root/'nbs'/'index.ipynb'):
    "README text for the notebook at `nb_path`"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in map(_proc_cell, nb.cells) if c is not None]
    nb.metadata['language_info'] = {'name': 'python'}
    body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    body = re.sub(r'\]\((?!https?:|/|#)([^)]+\.ipynb)\)', r'](nbs/\1)', body)  # links between notebooks, seen from the top
    body = re.sub(r'\n{3,}', '\n\n', body).strip() + '\n'
    return '<!-- Generated from nbs/index.ipynb by `python tools/readme.py`; edit the notebook, not this file. -->\n\n' + body

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help='exit 1 if README.md differs from what the notebook gives')
    args = ap.parse_args()
    txt, readme = render(), root/'README.md'
    if args.check:
        if not readme.exists() or readme.read_text(encoding='utf-8') != txt:
            sys.exit('README.md is stale: run `python tools/readme.py` and commit the result.')
        return print('README.md is up to date.')
    readme.write_text(txt, encoding='utf-8')
    print(f'wrote {readme}')

if __name__ == '__main__': main()
