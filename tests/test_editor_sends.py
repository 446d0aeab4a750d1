"""What an editor sends before the readers do, through ``run.py send`` against a real aiosmtpd server:
``--test ADDRESS`` (any address, [TEST], the ledger untouched) and ``--dry-run`` of a blocked edition
(the .eml files and the output say BLOCKED and why; exit 0, nothing sent)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from hardening import BRIEF, EDITION, Workspace, assert_refused, run
from smtpserver import Server


def _block(ws: Workspace) -> None:
    """Take back the editor's acknowledgement of the contradicted valuation claim: the edition blocks."""
    spec = ws.brief_dir / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("    acknowledged:", "    # acknowledged:"),
                    encoding="utf-8")


def _plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def _status(ws: Workspace) -> str:
    return run(*ws.options(), "status", BRIEF).out


def test_a_test_send_reaches_any_address_in_every_language_and_leaves_the_ledger_alone(
        ws: Workspace, server: Server) -> None:
    result = ws.send(server, "--test", "editor@example.org", "alice@example.com")
    assert (result.code, result.err) == (0, "")
    assert result.out == (f"{BRIEF} {EDITION}: test sent to editor@example.org (ja), editor@example.org (en), "
                          "alice@example.com (en); marked [TEST], no reader got it, the ledger is unchanged\n")
    got = [(r.rcpt_tos, r.message) for r in server.handler.received]
    assert [rcpt for rcpt, _ in got] == [["editor@example.org"]] * 2 + [["alice@example.com"]]
    subjects = [str(m["Subject"]) for _, m in got]
    assert subjects[0].startswith("[TEST] xAIのメンフィス") and subjects[1].startswith("[TEST] xAI's Memphis")
    assert _plain(got[2][1]).startswith("*** This is a test send: no reader got it")
    assert "Dear Alice Martin," in _plain(got[2][1])  # a reader gets their own language and greeting
    assert len({str(m["Message-ID"]) for _, m in got}) == 3
    assert all(next(m.iter_attachments()).get_content_type() == "application/pdf" for _, m in got)
    assert _status(ws) == "no deliveries recorded\n"
    assert not list((ws.reports / BRIEF).glob("*.edition.json"))  # nothing frozen or archived
    # the readers still get the edition, the test reader included
    assert ws.send(server).out == f"{BRIEF} {EDITION}: 4 sent, 0 already delivered, 0 failed\n"
    assert "4 sent" in _status(ws)


def test_a_test_send_of_a_blocked_edition_says_why(ws: Workspace, server: Server) -> None:
    _block(ws)
    result = ws.send(server, "--test", "editor@example.org")
    assert result.code == 0
    assert result.out.startswith(f"BLOCKED: {BRIEF} {EDITION} cannot be sent: claim c_valuation")
    (ja, en) = (r.message for r in server.handler.received)
    assert str(en["Subject"]).startswith("[TEST] [BLOCKED] ")
    assert "BLOCKED: this edition cannot be sent. claim c_valuation 「評価額1300億ドルを突破」 is contradicted" \
        in _plain(en)
    # the Japanese message says it in Japanese: the note and the reason
    assert "\n*** この号は送信できません（ブロック中）。主張c_valuation「評価額1300億ドルを突破」は事実と矛盾します（" \
        in _plain(ja)
    assert "contradicted" not in _plain(ja) and "BLOCKED:" not in _plain(ja)
    assert assert_refused(ws.send(server), "c_valuation", "nothing was sent")  # a real send still refuses
    assert len(server.handler.received) == 2


def test_a_dry_run_of_a_blocked_edition_writes_the_messages_marked_blocked(ws: Workspace, server: Server) -> None:
    _block(ws)
    outbox = ws.root / "outbox"
    result = ws.send(server, "--dry-run", "--outbox", str(outbox))
    assert (result.code, result.err) == (0, "")  # the dry run did its job: it shows
    lines = result.out.splitlines()
    assert lines[0].startswith(f"BLOCKED: {BRIEF} {EDITION} cannot be sent: claim c_valuation 「評価額1300億ドルを突破」"
                               " is contradicted by the facts (")
    assert lines[1] == f"{BRIEF} {EDITION}: 4 messages written (dry run, nothing sent; marked [BLOCKED])"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 4 and server.handler.received == []
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert str(message["Subject"]).startswith("[BLOCKED] ")
        note = _plain(message).splitlines()[0]
        assert note.startswith("*** ") and "c_valuation" in note and ("BLOCKED" in note or "ブロック中" in note)
    assert _status(ws) == "no deliveries recorded\n"


def test_a_test_send_cannot_be_combined_with_a_dry_run_or_readers(ws: Workspace, server: Server) -> None:
    assert_refused(ws.send(server, "--test", "editor@example.org", "--dry-run"), "--test", "without --to")
    assert_refused(ws.send(server, "--test", "not an address"), "'not an address' is not a usable address")
    assert server.handler.received == []


def test_a_refused_test_message_is_reported_and_exits_1(ws: Workspace, server: Server) -> None:
    server.handler.rcpt_replies["nobody@example.org"] = "550 5.1.1 no such user"
    result = ws.send(server, "--test", "nobody@example.org", "editor@example.org")
    assert result.code == 1
    assert "test sent to editor@example.org (ja), editor@example.org (en)" in result.out
    assert result.out.count("  failed nobody@example.org: ") == 2 and "550 5.1.1 no such user" in result.out
    assert [r.rcpt_tos for r in server.handler.received] == [["editor@example.org"]] * 2


def _typed_number(ws: Workspace) -> str:
    """A number typed into the English template: a warning of every build (see test_lint)."""
    path = ws.templates / BRIEF / "en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nThat is about 3.5× the earlier plan.\n", encoding="utf-8")
    return f"{path}:"


def test_strict_sends_no_new_edition_whose_build_warned_but_finishes_one_already_frozen(
        ws: Workspace, server: Server) -> None:
    where = _typed_number(ws)
    for extra in ((), ("--test", "editor@example.org"), ("--dry-run", "--outbox", str(ws.root / "outbox"))):
        refused = ws.send(server, "--strict", *extra)
        last = refused.err.splitlines()[-1]
        assert refused.code == 1 and last.startswith("error: --strict: 1 warning, nothing was frozen or sent: ")
        assert where in last and "a number typed into the template: '3.5×'" in last
    assert server.handler.received == [] and not (ws.root / "outbox").exists()
    assert _status(ws) == "no deliveries recorded\n"
    assert not list((ws.reports / BRIEF).glob("*.edition.json"))  # nothing frozen or archived
    # without --strict the warning is only shown: the edition goes out (here to one reader) and is frozen
    first = ws.send(server, "--to", "alice@example.com")
    assert first.code == 0 and "a number typed into the template" in first.err
    # frozen editions are not rebuilt, so --strict lets the rest of the readers have the same one
    rest = ws.send(server, "--strict")
    assert (rest.code, rest.out) == (0, f"{BRIEF} {EDITION}: 3 sent, 1 already delivered, 0 failed\n")
    assert len(server.handler.received) == 4
