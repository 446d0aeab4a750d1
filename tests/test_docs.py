"""The README documents every command and flag of run.py, and its two fresh-machine commands exist."""

from __future__ import annotations

import argparse
import re

from conftest import ROOT

from briefgen.cli import parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _flags(p: argparse.ArgumentParser) -> set[str]:
    found = {opt for action in p._actions for opt in action.option_strings if opt.startswith("--")}
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= {name} | _flags(sub)
    return found - {"--help"}


def test_every_command_and_flag_is_in_the_readme() -> None:
    missing = sorted(flag for flag in _flags(parser())
                     if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", README))
    assert not missing, f"README does not mention: {missing}"


def test_the_two_fresh_machine_commands_are_documented() -> None:
    assert "bash scripts/setup.sh && .venv/bin/python run.py" in README
    assert "bash scripts/setup.sh dev && .venv/bin/python -m pytest -q" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/setup.sh dev" in ci and "-m pytest -q" in ci
