"""Command line → pipeline calls; the only place that prints errors and picks exit codes.

Exit codes: 0 success, 1 a ``BriefError`` (bad input, failed delivery; one line on stderr),
2 usage errors (argparse), 3 a claim check that blocks (``check`` found a contradiction),
130 interrupted. Any other exception is a bug and shows its traceback.
Heavy libraries (pandas, reportlab) are imported inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, TextIO, cast

from briefgen import __version__
from briefgen.base import caches, logs, terminal
from briefgen.base.errors import BriefError

if TYPE_CHECKING:
    import threading

    from briefgen.base.model import Slot
    from briefgen.deliver.delivery import Delivery, SendOptions
    from briefgen.deliver.scheduling import Job, WeeklyRunner
    from briefgen.deliver.send import Outcome, SendReport
    from briefgen.load.settings import SmtpSettings

EXIT_ERROR = 1
EXIT_BLOCKED = 3
EXIT_INTERRUPTED = 130
LEDGER_FILE = "ledger.sqlite3"  # in --state


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


def _lang(text: str) -> str:
    if text not in ("ja", "en", "all"):
        raise argparse.ArgumentTypeError(f"invalid language {text!r} (expected ja, en or all)")
    return text


def _width(text: str) -> int:
    if not text.isdigit() or not 200 <= int(text) <= 4000:
        raise argparse.ArgumentTypeError(f"invalid width {text!r} (expected a number of pixels, 200-4000)")
    return int(text)


def _source_id(text: str) -> str:
    from briefgen.base.parse import ID, ID_FORM

    if not ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"invalid source id {text!r} (expected {ID_FORM})")
    return text


def cmd_default(args: argparse.Namespace, out: TextIO) -> int:
    """No command: build every brief found in the data folder, every language. A brief that fails
    does not stop the others; its error is raised (with the others') once they are built."""
    from briefgen import pipeline
    from briefgen.base.errors import ConfigError, Problem
    from briefgen.load import spec

    briefs = sorted(spec.find_specs(args.data))
    if not briefs:
        raise ConfigError(Problem(str(args.data), "no briefs found", expected="folders <brief-id>/brief.yaml"))
    failed: list[BriefError] = []
    for brief_id in briefs:
        try:
            _print_paths(pipeline.build_brief(brief_id, lang="all", today=args.date, out_dir=args.reports,
                                              data_dir=args.data, templates_dir=args.templates,
                                              strict=args.strict), out)
        except BriefError as exc:
            failed.append(exc)
    if failed:
        raise failed[0] if len(failed) == 1 else BriefError(*(str(exc) for exc in failed))
    return 0


def cmd_build(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline

    _print_paths(pipeline.build_brief(args.brief, lang=args.lang, today=args.date,
                                      out_dir=args.out or args.reports, data_dir=args.data,
                                      templates_dir=args.templates, strict=args.strict), out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline, report
    from briefgen.base import units

    prepared = pipeline.prepare(pipeline.resolve_spec(args.brief, args.data))
    with units.using(prepared.spec.units):
        out.write(report.checks_text(prepared.checks, prepared.conflicts, prepared.comparisons,
                                     prepared.facts, args.lang))
    return EXIT_BLOCKED if prepared.contradicted else 0


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline, report
    from briefgen.base import units
    from briefgen.extract import extract
    from briefgen.load import tables

    text = tables.read_text(args.article)
    lang = extract.detect_lang(text) if args.lang == "auto" else args.lang
    cands = extract.extract(text, lang)
    if args.against:
        prepared = pipeline.prepare(pipeline.resolve_spec(args.against, args.data))
        claims = [(claim.quote, claim.asserted) for claim in prepared.spec.claims if claim.asserted]
        with units.using(prepared.spec.units):
            out.write(report.coverage_text(extract.uncovered(cands, prepared.facts, claims=claims),
                                           extract.stale_quotes(text, prepared.facts)))
        return 0
    if args.out:
        path = extract.write_candidates_csv(cands, args.out, lang, args.source, args.date)
        out.write(f"{_shown(path)}: facts proposed from {len(cands)} candidates (source {args.source!r})\n")
    else:
        out.write(report.candidates_text(cands))
    return 0


def cmd_preview(args: argparse.Namespace, out: TextIO) -> int:
    """Page PNGs in reports/<brief>/preview/; with --serve, a live-reload page until Ctrl-C or SIGTERM."""
    from briefgen import preview

    where = preview.Where(args.brief, args.data, args.templates, args.reports, lang=args.lang,
                          today=args.date or dt.date.today(), width=args.width or preview.WIDTH)
    if not args.serve:
        _print_paths(preview.write(preview.render(where), args.reports), out)
        return 0
    import threading

    from briefgen.deliver import scheduling

    live = preview.Preview(where)
    live.refresh()
    http = preview.server(live, args.port)
    threading.Thread(target=http.serve_forever, name="preview-http", daemon=True).start()
    stop = threading.Event()
    restore = scheduling.install_signal_handlers(stop)
    try:
        out.write(f"preview at http://127.0.0.1:{http.server_address[1]}/ — re-rendered when the facts, spec or "
                  f"templates are saved (pages also in {_shown(preview.folder(args.reports, args.brief))}); "
                  "stop with Ctrl-C\n")
        out.flush()
        preview.watch(live, stop)
    finally:
        restore()
        http.shutdown()
        http.server_close()
    return 0


def cmd_draft(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline
    from briefgen.extract import drafts
    from briefgen.load import spec, tables

    text = tables.read_text(args.article)
    source = drafts.ArticleSource(args.publisher, args.title, args.date, args.url)
    made = drafts.draft(text, args.id, source, args.lang, spec.load_units(args.data / spec.UNITS_NAME),
                        article=str(args.article))
    _print_paths(drafts.write_draft(made, args.data, args.templates, force=args.force), out)
    _print_paths(pipeline.build_brief(args.id, lang=made.lang, today=args.date, out_dir=args.reports,
                                      data_dir=args.data, templates_dir=args.templates), out)
    out.write(f"draft {args.id}: {made.facts} facts, {made.comparisons} comparisons, {made.claims} claims; "
              f"{len(made.review)} items to review (brief.yaml review: and the PDF's first section). "
              f"Next: run.py check {args.id}\n")
    return 0


def cmd_cache(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen import pipeline

    _print_paths(pipeline.make_caches(args.templates, args.data, args.dir), out)
    return 0


def _delivery(args: argparse.Namespace) -> "Delivery":
    from briefgen.deliver.delivery import Delivery

    return Delivery(readers_path=args.readers, ledger_path=args.ledger or args.state / LEDGER_FILE,
                    data_dir=args.data, reports_dir=args.reports, templates_dir=args.templates,
                    config_path=args.config)


def _send_options(args: argparse.Namespace, **send: Any) -> "SendOptions":
    """The options ``send`` and ``schedule`` share, plus ``send``'s own."""
    from briefgen.deliver.delivery import SendOptions

    return SendOptions(ledger_is_new=args.i_know_the_ledger_is_new, lease=dt.timedelta(seconds=args.lease),
                       strict=args.strict, **send)


def cmd_send(args: argparse.Namespace, out: TextIO) -> int:
    from briefgen.base.errors import ConfigError, Problem
    from briefgen.deliver import delivery
    from briefgen.deliver.ledger import utc_now
    from briefgen.load import settings

    if args.test and (args.to or args.dry_run):
        raise ConfigError(Problem("--test", "a test send goes to its own addresses, now",
                                  expected="--test ADDRESS … without --to or --dry-run"))
    smtp = settings.load_settings(args.config, os.environ, need_password=not args.dry_run)
    options = _send_options(args, edition=args.edition or args.date, new_edition=args.new_edition,
                            dry_run_dir=args.outbox if args.dry_run else None, only=args.to, test_to=args.test,
                            queue=args.queue, queue_wait=dt.timedelta(seconds=args.wait))
    report = delivery.deliver(args.brief, _delivery(args), smtp, now=utc_now(), options=options)
    out.write(report_summary(report))
    return 0 if report.ok or report.written else EXIT_ERROR


OUTCOME_WORDS: dict["Outcome", str] = {
    "sent": "sent", "skipped": "already delivered", "failed": "failed", "waiting": "waiting",
    "elsewhere": "being sent elsewhere", "untried": "not tried"}


def report_summary(report: "SendReport") -> str:
    """What a send did: the messages written (dry run), or a count per outcome and a line for each
    reader not served (with the server's reply)."""
    head = f"{report.brief_id} {report.edition}: "
    blocked = [f"BLOCKED: {report.brief_id} {report.edition} cannot be sent: {why}" for why in report.blocked]
    if report.written:
        lines = [*blocked, head + f"{len(report.written)} messages written (dry run, nothing sent"
                                  f"{'; marked [BLOCKED]' if blocked else ''})"]
        lines += [f"  {_shown(path)}" for path in report.written]
        return "\n".join(lines) + "\n"
    if report.test:
        sent = ", ".join(f"{a.email} ({a.detail})" for a in report.having("sent")) or "nobody"
        lines = [*blocked, head + f"test sent to {sent}; marked [TEST], no reader got it, the ledger is unchanged"]
        return "\n".join(lines + [f"  failed {a.email}: {a.detail}" for a in report.having("failed")]) + "\n"
    counts = [f"{len(report.having(outcome))} {word}" for outcome, word in OUTCOME_WORDS.items()
              if outcome in ("sent", "skipped", "failed") or report.having(outcome)]
    lines = [head + ", ".join(counts)]
    lines += [f"  {OUTCOME_WORDS[a.outcome]} {a.email}: {a.detail}"
              for a in report.having("failed", "waiting", "elsewhere", "untried")]
    if not report.complete:
        lines.append("  run send again (or let the scheduler retry) to reach the readers not served")
    return "\n".join(lines) + "\n"


def cmd_status(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from briefgen.deliver import send
    from briefgen.deliver.ledger import Ledger
    from briefgen.load import readers, spec

    audience = readers.load_readers(args.readers, spec.find_specs(args.data)) if args.readers.exists() else ()
    expected = {brief: [r.email for r in audience if r.receives(brief)] for brief in spec.find_specs(args.data)}
    with Ledger(args.ledger or args.state / LEDGER_FILE) as ledger:
        statuses = send.latest_status(ledger, expected, args.brief)
    if args.json:
        out.write(json.dumps(send.status_json(statuses), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(send.format_status(statuses) + "\n")
    return 0 if all(status.served for status in statuses) else EXIT_ERROR


def cmd_schedule(args: argparse.Namespace, out: TextIO) -> int:
    import threading

    from briefgen.deliver import scheduling
    from briefgen.load import settings

    smtp = settings.load_settings(args.config, os.environ)
    stop = threading.Event()
    jobs = _scheduled_jobs(args, smtp, stop)
    args.state.mkdir(parents=True, exist_ok=True)
    restore = scheduling.install_signal_handlers(stop)
    try:
        with scheduling.SingleInstanceLock(args.state / "schedule.lock"):
            runner = scheduling.WeeklyRunner(jobs, scheduling.StateStore(args.state / "schedule-state.json"),
                                             sleep=stop.wait)
            if args.once:
                done = runner.run_once(stop)
                out.write(f"{_next_slots(runner)}\n")
                return EXIT_INTERRUPTED if stop.is_set() else (0 if done else EXIT_ERROR)
            out.write(f"scheduling {_next_slots(runner)}; stop with Ctrl-C or SIGTERM\n")
            out.flush()
            runner.run_forever(stop)
    finally:
        restore()
    return 0


def _next_slots(runner: "WeeklyRunner") -> str:
    return "; ".join(f"{b} next at {t.isoformat(timespec='minutes')}" for b, t in runner.next_runs().items())


def _scheduled_jobs(args: argparse.Namespace, smtp: "SmtpSettings",
                    stop: "threading.Event") -> dict[str, tuple["Slot", "Job"]]:
    from briefgen.base.errors import ConfigError, Problem
    from briefgen.compose import compose
    from briefgen.deliver import delivery
    from briefgen.deliver.scheduling import Outcome
    from briefgen.load import readers, spec

    where = _delivery(args)
    options = _send_options(args)
    compose.template_env(where.templates_dir)  # a broken template stops the start, not a Monday send

    def job(brief_id: str) -> "Job":
        def run(now: dt.datetime) -> Outcome:
            report = delivery.deliver(brief_id, where, smtp, now=now, options=options, stop=stop.is_set)
            return Outcome(report.edition, complete=report.complete, ok=report.ok,
                           summary=report_summary(report).strip().replace("\n", "; "))
        return run

    specs = {brief_id: spec.load_spec(path) for brief_id, path in spec.find_specs(args.data).items()}
    for scheduled in specs.values():
        if scheduled.schedule:
            delivery.refuse_if_draft(scheduled)
    jobs = {brief_id: (s.schedule, job(brief_id)) for brief_id, s in specs.items() if s.schedule}
    if not jobs:
        raise ConfigError(Problem(str(args.data), "no brief has a schedule",
                                  expected="a `schedule:` {weekday, at, tz} in some brief.yaml"))
    readers.load_readers(where.readers_path, specs)
    return jobs


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
        prog="briefgen",
        description="Build trustworthy PDF briefs from sourced facts. With no command: build every "
                    "brief in the data folder, in every language, into the reports folder. Options "
                    "before the command may also follow it.")
    p.add_argument("--version", action="version", version=f"briefgen {__version__}")
    _global_options(p)
    _strict_option(p)
    p.set_defaults(func=cmd_default)
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    build = sub.add_parser("build", help="build one brief as PDF")
    build.add_argument("brief", help="brief id (a folder of data/) or path to a brief.yaml")
    build.add_argument("--lang", type=_lang, default="all", help="ja, en or all (default: all)")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: --reports)")
    _strict_option(build, after_command=True)
    build.set_defaults(func=cmd_build)

    check = sub.add_parser("check", help="print claim checks and conflicting facts; exit 3 when a "
                                         "claim is contradicted and no editor has acknowledged it")
    check.add_argument("brief", help="brief id or path to a brief.yaml")
    check.add_argument("--lang", type=_lang, default="en", help="language of the report (ja or en)")
    check.set_defaults(func=cmd_check)

    send = sub.add_parser("send", help="build the current edition and email it to its readers, "
                                       "each once (the ledger remembers who got it)")
    send.add_argument("brief", help="brief id or path to a brief.yaml")
    send.add_argument("--to", nargs="+", default=(), metavar="ADDRESS",
                      help="send only to these readers (addresses from the readers file)")
    send.add_argument("--test", nargs="+", default=(), metavar="ADDRESS",
                      help="send the current edition to these addresses (readers or not) with [TEST] in the "
                           "subject; the ledger records nothing, so the readers still get it")
    send.add_argument("--dry-run", action="store_true",
                      help="write the exact messages as .eml files to --outbox instead of sending (also when "
                           "a claim blocks the edition: then marked [BLOCKED], with why)")
    send.add_argument("--outbox", type=Path, default=IN_PROJECT["outbox"],
                      help="folder for --dry-run messages (default: outbox/)")
    send.add_argument("--edition", type=_date, default=None, metavar="YYYY-MM-DD",
                      help="send that date's edition instead of this week's (the week is keyed by the "
                           "brief's schedule slot; --date does the same)")
    send.add_argument("--new-edition", action="store_true",
                      help="the facts changed after this week's edition went out: send a revision "
                           "(YYYY-MM-DD-rN) to every reader")
    send.add_argument("--queue", default=None, metavar="URL",
                      help="enqueue one task per reader on this Celery broker (redis://host:port/db) for "
                           "`celery -A briefgen.deliver.worker worker` to send, then wait for them (see --wait)")
    send.add_argument("--wait", type=float, default=3600, metavar="SECONDS",
                      help="with --queue: how long to wait for the workers to serve every reader before "
                           "reporting who is not served yet (default: 3600; 0: report at once)")
    _delivery_options(send)
    send.set_defaults(func=cmd_send)

    status = sub.add_parser("status", help="who got the latest edition(s): sent, failed (with the server's "
                                           "reply), waiting, in flight, never tried; exit 1 unless all got it")
    status.add_argument("brief", nargs="?", default=None, help="brief id (default: every brief)")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.add_argument("--readers", type=Path, default=IN_PROJECT["readers"],
                        help="readers file, to list readers never tried (default: data/readers.csv)")
    _ledger_option(status)
    status.set_defaults(func=cmd_status)

    sched = sub.add_parser("schedule", help="run the weekly delivery loop (one edition per brief "
                                            "per week, at the slot in each brief.yaml)")
    sched.add_argument("--once", action="store_true",
                       help="run what is due (including one catch-up) and exit, e.g. from cron")
    _delivery_options(sched)
    sched.set_defaults(func=cmd_schedule)

    ext = sub.add_parser("extract", help="find number expressions in an article: a candidate facts "
                                         "table, or (--against) what the brief's facts miss")
    ext.add_argument("article", type=Path, help="UTF-8 text file of the article")
    ext.add_argument("--lang", choices=("ja", "en", "auto"), default="auto",
                     help="language of the article (default: auto)")
    ext.add_argument("--out", type=Path, default=None,
                     help="write the proposed facts here (a facts.csv that loads as is)")
    ext.add_argument("--source", default="article", type=_source_id,
                     help="source id the --out rows cite (default: article)")
    ext.add_argument("--against", metavar="BRIEF", default=None,
                     help="list numbers no fact of BRIEF covers and facts whose quote is gone")
    ext.set_defaults(func=cmd_extract)

    prev = sub.add_parser("preview", help="draw the brief's pages as PNGs into reports/<brief>/preview/ (built in "
                                          "memory: no edition is archived); --serve: a live-reload page")
    prev.add_argument("brief", help="brief id or path to a brief.yaml")
    prev.add_argument("--lang", type=_lang, default="all", help="ja, en or all (default: all)")
    prev.add_argument("--width", type=_width, default=None, metavar="PIXELS",
                      help="page width in pixels, 200-4000 (default: 1240, about 150 dpi)")
    prev.add_argument("--serve", action="store_true",
                      help="serve the pages on 127.0.0.1 and redraw them whenever the facts, spec or templates "
                           "are saved (errors show in the page); prints the URL")
    prev.add_argument("--port", type=int, default=0, help="port for --serve (default: a free one)")
    prev.set_defaults(func=cmd_preview)

    drf = sub.add_parser("draft", help="turn an article into a draft brief: data/<id>/ (facts, sources, "
                                       "brief.yaml with draft: true) and templates/<id>/<lang>.md, then "
                                       "build its PDF, marked DRAFT, with a to-review list")
    drf.add_argument("article", type=Path, help="UTF-8 text file of the article")
    drf.add_argument("--id", required=True, help="the new brief's id (lower-case letters, digits and -)")
    drf.add_argument("--publisher", required=True, help="who published the article (sources.csv)")
    drf.add_argument("--title", required=True, help="the article's title (sources.csv; also the draft's title)")
    drf.add_argument("--url", default="", help="the article's address (sources.csv; default: none)")
    drf.add_argument("--lang", choices=("ja", "en"), default=None,
                     help="language of the brief (default: the article's)")
    drf.add_argument("--force", action="store_true", help="replace an existing data/<id>/ and its template")
    drf.set_defaults(func=cmd_draft)

    cache = sub.add_parser("cache", help="make the start-up caches in var/cache/ (compiled templates, the "
                                         "parsed fonts, pint's unit definitions and its answers for the "
                                         "data folder's briefs); scripts/setup.sh runs it")
    cache.add_argument("--dir", type=Path, default=None,
                       help="make them in this folder instead (default: var/cache/, the one a build reads)")
    cache.set_defaults(func=cmd_cache)
    for command in sub.choices.values():  # the global options after the command too
        _global_options(command, after_command=True)
    return p


#: Where a project's files are, relative to its folder (``--project``, default: the current folder).
IN_PROJECT = {"data": Path("data"), "reports": Path("reports"), "templates": Path("templates"),
              "state": Path("var"), "outbox": Path("outbox"), "readers": Path("data", "readers.csv"),
              "config": Path("data", "smtp.toml")}


def _global_options(p: argparse.ArgumentParser, after_command: bool = False) -> None:
    """The options every command takes; after the command they default to what came before it."""
    def default(value: object) -> object:
        return argparse.SUPPRESS if after_command else value

    p.add_argument("--project", type=Path, default=default(None), metavar="DIR",
                   help="the project folder holding data/, templates/, reports/ and var/ (default: the "
                        "current folder)")
    p.add_argument("--data", type=Path, default=default(IN_PROJECT["data"]), help="folder of briefs (default: data/)")
    p.add_argument("--reports", type=Path, default=default(IN_PROJECT["reports"]),
                   help="output folder (default: reports/)")
    p.add_argument("--date", type=_date, default=default(None), help="edition date YYYY-MM-DD (default: today)")
    p.add_argument("--templates", type=Path, default=default(IN_PROJECT["templates"]),
                   help="folder of brief templates (default: templates/)")
    p.add_argument("--state", type=Path, default=default(IN_PROJECT["state"]),
                   help="folder for the delivery ledger, the scheduler's state and the start-up caches "
                        "(default: var/)")
    p.add_argument("--debug", action="store_true", default=default(False), help="show tracebacks and debug logging")
    p.add_argument("-v", "--verbose", action="count", default=default(0),
                   help="log what is being done (-vv: debug details too); the default logs warnings, and "
                        "`schedule` its runs")
    p.add_argument("-q", "--quiet", action="store_true", default=default(False),
                   help="log errors only (no warnings, no progress)")
    p.add_argument("--log-format", choices=logs.FORMATS, default=default("text"),
                   help="text (default): '<UTC time> <LEVEL> <logger>: <message>' lines; json: one JSON object "
                        "a line (time, level, logger, message, and brief/edition/reader/... where known)")


def _strict_option(p: argparse.ArgumentParser, after_command: bool = False,
                   outcome: str = "fail (exit 1, nothing written) when the build logs any warning") -> None:
    """``--strict`` for building (no command, ``build``) and sending a new edition (``send``, ``schedule``):
    any warning fails the run."""
    p.add_argument("--strict", action="store_true", default=argparse.SUPPRESS if after_command else False,
                   help=f"{outcome}: numbers typed into a template, missing labels, stale data, unprintable "
                        "characters, …")


def _locate(args: argparse.Namespace, project: Path) -> argparse.Namespace:
    """Every path option left at its default → inside the project folder."""
    for name, default in IN_PROJECT.items():
        if getattr(args, name, None) is default:
            setattr(args, name, project / default)
    return args


def _ledger_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", default=None, metavar="PATH|URL",
                   help="the delivery ledger: a SQLite file, or a postgresql://user@host/db URL shared by "
                        "senders on several machines (password from PGPASSWORD or ~/.pgpass) "
                        "(default: ledger.sqlite3 in --state)")


def _delivery_options(p: argparse.ArgumentParser) -> None:
    _ledger_option(p)
    p.add_argument("--readers", type=Path, default=IN_PROJECT["readers"],
                   help="readers file (default: data/readers.csv)")
    p.add_argument("--lease", type=float, default=1800, metavar="SECONDS",
                   help="how long a sender's claim on one reader holds before another sender may take "
                        "it over (default: 1800; longer than the slowest message takes)")
    p.add_argument("--i-know-the-ledger-is-new", action="store_true",
                   help="send although editions in --reports went out with a ledger this one does not "
                        "know (only when the old ledger is truly lost)")
    p.add_argument("--config", type=Path, default=IN_PROJECT["config"],
                   help="SMTP settings file (default: data/smtp.toml); the password comes only from "
                        "BRIEFGEN_SMTP_PASSWORD or BRIEFGEN_SMTP_PASSWORD_FILE")
    _strict_option(p, after_command=True,
                   outcome="send no new edition whose build logs a warning (exit 1; nothing frozen, archived or "
                           "sent; an edition already frozen still reaches its remaining readers)")


def _run(args: argparse.Namespace, out: TextIO) -> int:
    """The command. One that builds and exits runs with the cycle collector paused: nearly all it
    allocates (modules, caches, the brief) lives until the end, and rescanning it for cycles is about
    5 % of a cold build. ``send`` and ``schedule``, which can run for long, keep the collector."""
    if args.func not in (cmd_default, cmd_build, cmd_check, cmd_extract, cmd_draft, cmd_cache):
        return int(args.func(args, out))
    from briefgen.base import units
    from briefgen.load.facts import cyclic_gc_paused

    with cyclic_gc_paused():
        code = int(args.func(args, out))
    units.save_learnt()  # what pint said about new units: the next run needs no pint for them
    return code


class Printable(io.TextIOBase):
    """A stream that prints through ``terminal.printable``: no fact text, quote or file name can
    send the terminal a control, ANSI or bidi sequence (output and errors alike)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal.printable(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None, project: Path | None = None) -> int:
    """Run the command line; return the exit code. ``project`` is the default project folder
    (``run.py`` passes its own; the ``briefgen`` command and ``python -m briefgen`` use the current one)."""
    out = cast(TextIO, Printable(stdout or sys.stdout))
    err = cast(TextIO, Printable(stderr or sys.stderr))
    p = parser()
    args = p.parse_args(argv)
    if args.verbose and args.quiet:
        p.error("-v/--verbose and -q/--quiet exclude each other")
    _locate(args, args.project or project or Path.cwd())
    caches.use(args.state / "cache")
    with logs.configured(err, _log_level(args), args.log_format, progress=not args.quiet):
        try:
            return _run(args, out)
        except BriefError as exc:
            if args.debug:
                raise
            _fail(args, err, "error: " + str(exc).replace("\n", "\\n"))  # one line, whatever a file holds
            return EXIT_ERROR
        except KeyboardInterrupt:
            _fail(args, err, "interrupted")
            return EXIT_INTERRUPTED


def _log_level(args: argparse.Namespace) -> int:
    """-q: errors; --debug or -vv: everything; -v: what is being done; else warnings (``schedule``,
    a service: its runs too)."""
    if args.quiet:
        return logging.ERROR
    if args.debug or args.verbose >= 2:
        return logging.DEBUG
    return logging.INFO if args.verbose or args.func is cmd_schedule else logging.WARNING


def _fail(args: argparse.Namespace, err: TextIO, line: str) -> None:
    """The line that ends a failed command: as it is, or as a JSON log record with --log-format json."""
    if args.log_format == "json":
        logging.getLogger("briefgen.cli").error("%s", line)
    else:
        err.write(line + "\n")
