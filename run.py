"""Entry point: ``python run.py [COMMAND] ...`` (see ``python run.py --help``), in this project folder."""

from pathlib import Path

from briefgen.cli import main

if __name__ == "__main__":
    raise SystemExit(main(project=Path(__file__).resolve().parent))
