"""The package as users get it: ``pip install .`` and ``pip install -e .`` give a ``briefgen`` command and
``python -m briefgen`` that work in any project folder; global options go before or after the command;
every ``run.py`` command the README shows runs as written."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from conftest import DATA, TEMPLATES, WALKTHROUGH, pdf_text, readme_section
from hardening import run

from briefgen import __version__

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def project(folder: Path) -> Path:
    """A project folder of its own: data/ and templates/ of the reference brief."""
    shutil.copytree(DATA, folder / "data")
    shutil.copytree(TEMPLATES, folder / "templates")
    return folder


def source_copy(folder: Path) -> Path:
    """The source tree as a fresh clone has it: no build/, caches, venv or outputs, so pip builds from
    the sources alone (a stale build/lib could otherwise hide a change or keep a deleted module)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "reports",
                                    "var", "outbox", ".mypy_cache", ".pytest_cache", ".hypothesis")
    return Path(shutil.copytree(ROOT, folder, ignore=ignore))


def installed(tmp_path: Path, *pip_args: str) -> Path:
    """A fresh virtualenv with briefgen installed by pip from a copy of the sources (pip, the build
    backend and briefgen's dependencies come from this test run's environment through a .pth file: no
    download); returns the venv's bin folder."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=False)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([env / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", *pip_args], cwd=source_copy(tmp_path / "src"), check=True,
                   capture_output=True)
    return env / "bin"


def command(bin_dir: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "briefgen"), *argv], cwd=cwd, capture_output=True, text=True)


@pytest.mark.parametrize("editable", [False, True], ids=["install", "editable"])
def test_pip_install_gives_a_command_that_builds_in_the_current_project(tmp_path: Path, editable: bool) -> None:
    bin_dir = installed(tmp_path, *(["-e", "."] if editable else ["."]))
    assert command(bin_dir, "--version", cwd=tmp_path).stdout == f"briefgen {__version__}\n"
    here = project(tmp_path / "brief-project")
    built = command(bin_dir, "build", "xai-colossus", "--lang", "en", "--date", "2024-07-29", cwd=here)
    assert built.returncode == 0, built.stderr
    assert built.stdout == "reports/xai-colossus/2024-07-29.en.pdf\n"
    assert "xAI" in pdf_text((here / "reports" / "xai-colossus" / "2024-07-29.en.pdf").read_bytes())
    module = subprocess.run([str(bin_dir / "python"), "-m", "briefgen", "--project", str(here), "check",
                             "xai-colossus"], cwd=tmp_path, capture_output=True, text=True)
    assert module.returncode == 0 and "holds" in module.stdout, module.stderr


def test_global_options_go_before_or_after_the_command(tmp_path: Path) -> None:
    here = project(tmp_path)
    after = run("build", "xai-colossus", "--lang", "ja", "--date", "2024-07-29", "--project", str(here))
    before = run("--project", str(here), "--date", "2024-07-30", "build", "xai-colossus", "--lang", "ja")
    assert after.code == before.code == 0, (after.err, before.err)
    assert sorted(p.name for p in (here / "reports" / "xai-colossus").glob("*.pdf")) == [
        "2024-07-29.ja.pdf", "2024-07-30.ja.pdf"]
    both = run("--date", "2024-07-29", "build", "xai-colossus", "--date", "2024-07-31", "--project", str(here))
    assert both.code == 0 and "2024-07-31" in both.out  # the one after the command wins


def test_the_project_folder_is_the_current_one_not_the_source_folder(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    here = project(tmp_path)
    monkeypatch.chdir(here)
    assert run("build", "xai-colossus", "--lang", "en", "--date", "2024-07-29").code == 0
    assert (here / "reports" / "xai-colossus" / "2024-07-29.en.pdf").is_file()
    assert (here / "var").is_dir() is False  # build keeps no state; var/ only holds ledger, caches


def readme_commands() -> list[str]:
    """Every ``.venv/bin/python run.py …`` command in the README's shell blocks (the set-up before a
    ``&&`` is what CI runs itself), but the walkthrough's, which build on each other (test_draft runs them)."""
    blocks = re.findall(r"```sh\n(.*?)```", README.replace(readme_section(WALKTHROUGH), ""), re.S)
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    commands = [part.strip() for line in lines for part in line.split("&&")]
    return [command for command in commands if command.startswith(".venv/bin/python run.py")]


def test_the_readme_shows_commands(tmp_path: Path) -> None:
    assert len(readme_commands()) >= 4


@pytest.mark.parametrize("line", readme_commands())
def test_every_run_py_command_in_the_readme_runs(tmp_path: Path, line: str) -> None:
    here = project(tmp_path)
    argv = [sys.executable, str(ROOT / "run.py"), *shlex.split(line)[2:], "--project", str(here)]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 3), (line, result.stdout, result.stderr)  # 3: check found a contradiction
    assert "Traceback" not in result.stderr
