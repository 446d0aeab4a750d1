"""The deployment recipes (issue 12 point 5): the container image builds the reference brief when Docker
works here; otherwise (and always) the systemd units are linted — by ``systemd-analyze verify`` where it
exists, by a parser check of sections, keys and the command in any case. And ``scripts/setup.sh`` says
what it is doing."""

from __future__ import annotations

import configparser
import functools
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, ROOT, TEMPLATES, pdf_text
from test_packaging import installed

from briefgen import cli

UNITS = ROOT / "deploy" / "systemd"
SERVICE, TIMER = UNITS / "briefgen.service", UNITS / "briefgen.timer"
IMAGE = "briefgen-test:latest"
EDITION = "2024-07-29"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def exec_start() -> list[str]:
    return shlex.split(unit(SERVICE)["Service"]["ExecStart"])


def test_the_service_runs_schedule_once_with_the_briefgen_command() -> None:
    service = unit(SERVICE)
    assert service["Service"]["Type"] == "oneshot"
    assert {"Description", "After", "Wants"} <= set(service["Unit"])
    executable, *argv = exec_start()
    assert Path(executable).name == "briefgen"  # the console script pyproject.toml installs
    args = cli.parser().parse_args(argv)
    assert args.func is cli.cmd_schedule and args.once and args.project == Path(service["Service"]["WorkingDirectory"])
    assert "BRIEFGEN_SMTP_PASSWORD_FILE=%d/smtp-password" in service["Service"]["Environment"]


def test_the_timer_starts_the_service_and_catches_up_after_downtime() -> None:
    timer = unit(TIMER)
    assert timer["Timer"]["Unit"] == SERVICE.name and timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed: the units are checked by the parser tests only")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    """The units as shipped, except that ExecStart points at a briefgen command really installed by pip
    (in a fresh virtualenv) instead of /opt/briefgen: verify checks that the command exists."""
    command = installed(tmp_path, ".") / "briefgen"
    shipped = exec_start()[0]
    (tmp_path / TIMER.name).write_text(TIMER.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / SERVICE.name).write_text(SERVICE.read_text(encoding="utf-8").replace(shipped, str(command)),
                                         encoding="utf-8")
    verify = subprocess.run(["systemd-analyze", "verify", SERVICE.name, TIMER.name], cwd=tmp_path,
                            capture_output=True, text=True)
    ours = [line for line in verify.stderr.splitlines() if "briefgen." in line]
    assert verify.returncode == 0 and ours == [], verify.stderr  # unknown keys are only warnings: none allowed
    assert subprocess.run([str(command), "schedule", "--help"], capture_output=True).returncode == 0


@functools.cache
def docker_unusable() -> str:
    """Why the image cannot be built here ('' when Docker works)."""
    if shutil.which("docker") is None:
        return "no docker command"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True)
    if info.returncode != 0:
        return "`docker info` fails: " + " ".join((info.stderr or info.stdout).split())[-200:]
    return ""


@pytest.mark.skipif(bool(docker_unusable()),
                    reason=f"Docker is not usable here ({docker_unusable()}); the systemd units are linted instead")
def test_the_image_builds_the_reference_brief_into_a_mounted_folder(tmp_path: Path) -> None:
    subprocess.run(["docker", "build", "--quiet", "-t", IMAGE, str(ROOT)], check=True, timeout=3600)
    out = tmp_path / "reports"
    out.mkdir()
    built = subprocess.run(
        ["docker", "run", "--rm", "--user", f"{os.getuid()}:{os.getgid()}",
         "-v", f"{DATA}:/srv/briefgen/data:ro", "-v", f"{TEMPLATES}:/srv/briefgen/templates:ro",
         "-v", f"{out}:/srv/briefgen/reports", IMAGE, "--date", EDITION, "build", "xai-colossus"],
        capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    assert sorted(p.name for p in (out / "xai-colossus").glob("*.pdf")) == [f"{EDITION}.en.pdf", f"{EDITION}.ja.pdf"]
    assert "xAI" in pdf_text((out / "xai-colossus" / f"{EDITION}.en.pdf").read_bytes())


def test_setup_says_what_it_is_doing(tmp_path: Path) -> None:
    """scripts/setup.sh in a copy of the project whose .venv is this test run's environment (so pip has
    nothing to fetch): a line per step, the last one 'done'."""
    for name in ("briefgen", "templates", "scripts"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("run.py", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    setup = subprocess.run(["bash", "scripts/setup.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stderr
    steps = [line for line in setup.stdout.splitlines() if line.startswith("setup: [")]
    assert any("Debian packages" in s for s in steps) and any("pip" in s for s in steps), setup.stdout
    assert any("start-up caches" in s for s in steps) and steps[-1].endswith("] done"), setup.stdout
    assert (tmp_path / "var" / "cache").is_dir()
