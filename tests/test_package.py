"The project's facts stated in more than one place agree: version, requirements, commands, config files."
import configparser, re, subprocess, sys, tomllib
from importlib.metadata import version, requires
from pathlib import Path
from packaging.requirements import Requirement
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
