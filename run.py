"""Entry point: ``python run.py [COMMAND] ...`` (see ``python run.py --help``), in this project folder."""

from pathlib import Path

from briefgen.__main__ import run

if __name__ == "__main__":
    run(project=Path(__file__).resolve().parent)
