"""The `show_doc` renderer the docs build uses: nbdev's own markdown entry plus fastcore's parameter table.

nbdev 3's default `show_doc` output is the signature with its docments comments; the docs site also wants the
classic table (name, type, default, details). `tools/docs.py` selects this class through nbdev's documented
`renderer` setting, in a user config that exists only for the build (`XDG_CONFIG_HOME`), so notebooks opened
interactively keep nbdev's default renderer."""
from fastcore.docments import DocmentTbl
from nbdev.showdoc import BasicMarkdownRenderer

__all__ = ['TableRenderer']


class TableRenderer(BasicMarkdownRenderer):
    "nbdev's markdown `show_doc` entry followed by fastcore's `DocmentTbl` parameter table"
    def _repr_markdown_(self):
        md = super()._repr_markdown_()
        return md + ('\n\n' + tbl if (tbl := _table(self.sym)) else '')

def _table(sym):
    "fastcore's parameter table; also for parameters without docments comments when they have a type or default"
    try:
        t = DocmentTbl(sym)
        if t.has_docment: return t._repr_markdown_()
        if not t.params or not t._columns: return ''
        return '\n'.join([t.hdr_str, t.params_str] + ([t.return_str] if t.has_return else []))
    except Exception: return ''   # objects without an inspectable signature keep the plain entry
