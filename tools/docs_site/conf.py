"""Sphinx configuration for the offline docs site (`python tools/docs.py build` when Quarto is absent).

Sphinx + myst-nb render nbdev's processed notebooks (staged by tools/docs.py) without executing them;
the furo theme gives the sidebar; MathJax 2 is the local copy from `jupyter-server-mathjax`."""
import configparser, os
from pathlib import Path

_root = Path(os.environ.get('DROP_NB_DOCS_ROOT') or Path(__file__).resolve().parents[2])
_ini = configparser.ConfigParser(); _ini.read(_root/'settings.ini')
_s = _ini['DEFAULT']

project = _s.get('title', 'drop_nb')
author = _s.get('author', '')
copyright = _s.get('copyright', '')
release = version = _s.get('version', '')

extensions = ['myst_nb', 'sphinx.ext.mathjax']
root_doc = 'index'
exclude_patterns = ['_build', '**.ipynb_checkpoints']
source_suffix = {'.ipynb': 'myst-nb', '.md': 'myst-nb'}

# myst-nb: show the saved outputs, never execute; text/markdown outputs (show_doc entries) parsed as MyST
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
nb_merge_streams = True
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'attrs_inline', 'attrs_block', 'deflist',
                          'strikethrough']
myst_heading_anchors = 3
# tools/docs.py already turned links between notebooks into the pages' .html links, as Quarto does
myst_all_links_external = True
myst_dmath_double_inline = True
# nbdev's show_doc headings are level 3 under the page title; notebooks may skip levels
suppress_warnings = ['myst.header', 'mystnb.unknown_mime_type', 'misc.highlighting_failure']

# Local MathJax 2 (copied to _static/mathjax by tools/docs.py): no CDN
mathjax_path = 'mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full'
mathjax2_config = {
    'tex2jax': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']], 'processEscapes': False,
                # myst-nb marks notebook pages tex2jax_ignore and its math with the class `math`
                'processClass': 'math|output_area|tex2jax_process'},
    'HTML-CSS': {'imageFont': None, 'availableFonts': ['STIX-Web'], 'preferredFont': 'STIX-Web',
                 'webFont': 'STIX-Web',
                 # MathJax's font-loading probe is a face at url('about:blank'), a console error in Chrome;
                 # a missing local() face probes the same way without a request
                 'styles': {'@font-face': {'font-family': 'MathJax_Blank', 'src': "local('MathJax_Blank')"}}},
    # no hidden MathML copy and no fast preview: Chrome would fetch MathJax's TeX fonts for them, which the
    # package doesn't ship (404s); the typeset HTML-CSS output uses only the STIX-Web fonts it ships
    'menuSettings': {'zoom': 'None', 'assistiveMML': False}, 'fast-preview': {'disabled': True},
    'messageStyle': 'none', 'showMathMenu': False, 'MathMenu': {'showFontMenu': False},
}

html_theme = 'furo'
html_title = f'{project} {version}'
html_static_path = [str(Path(__file__).parent/'static')]
html_css_files = ['drop_nb.css']
html_favicon = str(Path(__file__).parent/'static'/'favicon.svg')   # else browsers ask for a missing /favicon.ico
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {'sidebar_hide_name': False, 'navigation_with_keys': True}
