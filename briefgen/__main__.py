"""``python -m briefgen [COMMAND] ...`` → the command line, in the current project folder."""

from briefgen.cli import main

raise SystemExit(main())
