"Each notebook in nbs/ is one test item, run as plain `nbdev-test` runs it (cells flagged `slow` or `cuda` skipped)."
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb

root = Path(__file__).resolve().parents[1]
cfg = get_config(root)
notebooks = sorted(p for p in (root/'nbs').rglob('*.ipynb') if not any(part.startswith(('.', '_')) for part in p.relative_to(root/'nbs').parts))

@pytest.mark.parametrize('nb', notebooks, ids=[str(p.relative_to(root/'nbs')) for p in notebooks])
def test_notebook(nb):
    flags = cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else list(cfg.tst_flags)
    ok, secs = run_nb(nb, skip_flags=flags, basepath=root, cell_timeout=cfg.cell_timeout)
    assert ok, f'{nb.name} failed (traceback above, in the captured stderr)'
