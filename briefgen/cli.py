"""Command line → pipeline calls; the only place that prints errors and picks exit codes.

Exit codes: 0 success, 1 a ``BriefError`` (bad input, failed delivery; one line on stderr),
2 usage errors (argparse), 3 a claim check that blocks (``check`` found a contradiction),
130 interrupted. Any other exception is a bug and shows its traceback.
Heavy libraries (pandas, reportlab) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence, TextIO

from briefgen.errors import BriefError

ROOT = Path(__file__).resolve().parent.parent
EXIT_ERROR = 1
EXIT_BLOCKED = 3
EXIT_INTERRUPTED = 130

Command = Callable[[argparse.Namespace, TextIO], int]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


def _lang(text: str) -> str:
    if text not in ("ja", "en", "all"):
        raise argparse.ArgumentTypeError(f"invalid language {text!r} (expected ja, en or all)")
    return text


def cmd_default(args: argparse.Namespace, out: TextIO) -> int:
    """No command: build every brief found in the data folder, every language."""
    from briefgen import pipeline, spec

    for brief_id in sorted(spec.find_specs(args.data)):
        _print_paths(pipeline.build_brief(brief_id, lang="all", today=args.date, out_dir=args.reports,
                                          data_dir=args.data), out)
    return 0


def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline

    _print_paths(pipeline.build_brief(args.brief, lang=args.lang, today=args.date,
                                      out_dir=args.out or args.reports, data_dir=args.data), out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline, report

    prepared = pipeline.prepare(pipeline.resolve_spec(args.brief, args.data))
    out.write(report.checks_text(prepared.checks, prepared.conflicts, prepared.comparisons, args.lang))
    return EXIT_BLOCKED if prepared.contradicted and prepared.spec.block_on_contradicted else 0


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import extract, pipeline, report, tables

    text = tables.read_text(args.article)
    cands = extract.extract(text, None if args.lang == "auto" else args.lang)
    if args.against:
        prepared = pipeline.prepare(pipeline.resolve_spec(args.against, args.data))
        quotes = [claim.quote for claim in prepared.spec.claims]
        out.write(report.coverage_text(extract.uncovered(cands, prepared.facts, quotes=quotes),
                                       extract.stale_quotes(text, prepared.facts)))
        return 0
    if args.out:
        out.write(f"{_shown(extract.write_candidates_csv(cands, args.out))}: {len(cands)} candidates\n")
    else:
        out.write(report.candidates_text(cands))
    return 0


def _print_paths(paths: Sequence[Path], out: TextIO) -> None:
    for path in paths:
        out.write(f"{_shown(path)}\n")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the README check in the tests)."""
    p = argparse.ArgumentParser(
        prog="run.py",
        description="Build trustworthy PDF briefs from sourced facts. With no command: build every "
                    "brief in the data folder, in every language, into the reports folder.")
    p.add_argument("--data", type=Path, default=ROOT / "data", help="folder of briefs (default: data/)")
    p.add_argument("--reports", type=Path, default=ROOT / "reports", help="output folder (default: reports/)")
    p.add_argument("--date", type=_date, default=None, help="edition date YYYY-MM-DD (default: today)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    p.set_defaults(func=cmd_default)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    build = sub.add_parser("build", help="build one brief as PDF")
    build.add_argument("brief", help="brief id (a folder of data/) or path to a brief.yaml")
    build.add_argument("--lang", type=_lang, default="all", help="ja, en or all (default: all)")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: --reports)")
    build.set_defaults(func=cmd_build)

    check = sub.add_parser("check", help="print claim checks and conflicting facts; exit 3 on a "
                                         "contradicted claim the brief blocks on")
    check.add_argument("brief", help="brief id or path to a brief.yaml")
    check.add_argument("--lang", type=_lang, default="en", help="language of the report (ja or en)")
    check.set_defaults(func=cmd_check)

    ext = sub.add_parser("extract", help="find number expressions in an article: a candidate facts "
                                         "table, or (--against) what the brief's facts miss")
    ext.add_argument("article", type=Path, help="UTF-8 text file of the article")
    ext.add_argument("--lang", choices=("ja", "en", "auto"), default="auto",
                     help="language of the article (default: auto)")
    ext.add_argument("--out", type=Path, default=None, help="write candidates as a facts CSV here")
    ext.add_argument("--against", metavar="BRIEF", default=None,
                     help="list numbers no fact of BRIEF covers and facts whose quote is gone")
    ext.set_defaults(func=cmd_extract)
    return p


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO, stream=err,
                        format="briefgen: %(levelname)s: %(message)s")
    try:
        return int(args.func(args, out))
    except BriefError as exc:
        if args.debug:
            raise
        err.write(f"error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return EXIT_INTERRUPTED
