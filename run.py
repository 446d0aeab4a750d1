"""Entry point: ``python run.py [COMMAND] ...`` (see ``python run.py --help``)."""

from briefgen.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
