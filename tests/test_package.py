"The project's facts stated in more than one place agree: version, requirements, commands, config files."
import configparser, re, subprocess, sys, tomllib
from importlib.metadata import version, requires, metadata, distribution, PackageNotFoundError
from pathlib import Path
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
import drop_nb

root = Path(__file__).resolve().parents[1]
ini = configparser.ConfigParser(delimiters=['=']); ini.read(root/'settings.ini'); ini = ini['DEFAULT']

def test_version_agrees():
    assert drop_nb.__version__ == ini['version'], 'drop_nb/__init__.py and settings.ini disagree on the version'
    assert version('drop_nb') == ini['version'], 'the installed distribution is stale: pip install -e .'

def test_requirements_agree():
    installed = {str(Requirement(r)) for r in requires('drop_nb') or [] if 'extra ==' not in r}
    assert installed == {str(Requirement(r)) for r in ini['requirements'].split()}, 'reinstall: pip install -e ".[dev]"'

def test_pyproject_is_minimal():
    pp = tomllib.loads((root/'pyproject.toml').read_text())
    assert set(pp) == {'build-system', 'tool'} and set(pp['tool']) == {'nbdev'}
    assert pp['tool']['nbdev']['lib_path'] == ini['lib_path']

def test_one_quarto_yml():
    "nbdev reads `nbs/_quarto.yml`; it is a link to the one at the top"
    link = root/'nbs'/'_quarto.yml'
    assert link.is_symlink() and link.resolve() == (root/'_quarto.yml').resolve()
    assert [p for p in root.rglob('_quarto.yml') if not p.is_symlink() and '.venv' not in p.parts and '_proc' not in p.parts] == [root/'_quarto.yml']

def test_readme_is_fresh():
    r = subprocess.run([sys.executable, str(root/'tools'/'readme.py'), '--check'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

def test_readme_commands_are_the_ci_commands():
    "README names exactly two commands; .ci/run runs the second one, the test suite"
    block = re.search(r'## The two commands.*?```sh\n(.*?)```', (root/'README.md').read_text(), re.S).group(1)
    cmds = [l for l in block.splitlines() if l.strip()]
    assert len(cmds) == 2
    test_cmd = cmds[1].split('&&')[-1].strip()
    assert f'"$VENV/bin/{test_cmd}' in (root/'.ci'/'run').read_text().replace("'", '"') or test_cmd in (root/'.ci'/'run').read_text()

def test_readme_shows_a_committed_figure():
    "README.md links at least one image that exists in the repository, and has no empty code block (a hidden figure's code)"
    txt = (root/'README.md').read_text()
    imgs = re.findall(r'!\[[^\]]*\]\(([^)\s]+)\)', txt)
    assert any((root/p).is_file() for p in imgs if not p.startswith(('http:', 'https:'))), f'README.md shows no committed image: {imgs}'
    assert not [p for p in imgs if not p.startswith(('http:', 'https:')) and not (root/p).is_file()], 'README.md links a missing image'
    assert not re.search(r'```\w*\n\s*```', txt), 'README.md has an empty code block: mark the cell `#| echo: false`'

def _installed_closure(reqs)->dict:
    "Installed distributions reached from requirement strings (no extras), as {name: version}"
    seen, todo = {}, list(reqs)
    while todo:
        r = Requirement(todo.pop())
        if r.marker is not None and not r.marker.evaluate({'extra': ''}): continue
        name = canonicalize_name(r.name)
        if name in seen: continue
        try: d = distribution(r.name)
        except PackageNotFoundError: continue
        seen[name] = d.version
        todo += d.requires or []
    return seen

def test_no_web_framework_in_requirements():
    "fastprogress>=1.1 requires python-fasthtml (a web framework): settings.ini caps it, and the installed closure has none"
    fp = next(Requirement(r) for r in ini['requirements'].split() if canonicalize_name(Requirement(r).name) == 'fastprogress')
    assert fp.specifier.contains('1.0.5') and not fp.specifier.contains('1.1.0'), f'settings.ini: cap fastprogress below 1.1, got {fp}'
    got = _installed_closure(ini['requirements'].split())
    assert 'python-fasthtml' not in got, f'python-fasthtml is installed through our requirements (fastprogress {got.get("fastprogress")}): pip install "{fp}"'

def test_license_file():
    "settings.ini says Apache-2.0: the repository has the license text and the distribution carries it"
    assert ini['license'] == 'apache2'
    text = (root/'LICENSE').read_text()
    assert text.lstrip().startswith('Apache License') and 'Version 2.0, January 2004' in text and 'END OF TERMS AND CONDITIONS' in text
    assert 'LICENSE' in (metadata('drop_nb').get_all('License-File') or []), 'the installed distribution lacks LICENSE: pip install -e .'
