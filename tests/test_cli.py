"""run.py end to end: argv → PDFs, checks, extraction, sends and the schedule, with exit codes and errors."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, ROOT, SEED_ARTICLE, TEMPLATES, pdf_text
from smtpserver import ServerFactory

from briefgen.cli import EXIT_BLOCKED, main

EDITION = "2024-07-29"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the reference data that a test may break."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def dirs(tmp_path: Path, data: Path) -> list[str]:
    return ["--data", str(data), "--reports", str(tmp_path / "reports"), "--state", str(tmp_path / "var"),
            "--templates", str(TEMPLATES), "--date", EDITION]


def test_build_writes_both_editions_with_the_headline_numbers(tmp_path: Path, data: Path) -> None:
    code, out, err = run(*dirs(tmp_path, data), "build", "xai-colossus")
    assert (code, err) == (0, "")
    ja, en = (tmp_path / "reports" / "xai-colossus" / f"{EDITION}.{lang}.pdf" for lang in ("ja", "en"))
    assert out.splitlines() == [str(ja), str(en)]
    ja_text, en_text = pdf_text(ja.read_bytes()), pdf_text(en.read_bytes())
    for figure in ("4倍", "10万台", "42%", "30億〜40億ドル", "100,000台 ÷ 25,000台", "60億ドル ÷ 143億ドル", "2024年"):
        assert figure in ja_text, figure
    for figure in ("4×", "100,000 GPUs", "42%", "$3B–4B", "2024"):
        assert figure in en_text, figure


def test_the_japanese_font_is_embedded_as_a_subset(tmp_path: Path, data: Path) -> None:
    run(*dirs(tmp_path, data), "build", "xai-colossus", "--lang", "ja")
    pdf = tmp_path / "reports" / "xai-colossus" / f"{EDITION}.ja.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows), fonts
    assert any("IPAexGothic" in row[0] for row in rows)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "メンフィス" in text and "\ufffd" not in text


def test_build_one_language_into_a_chosen_folder(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(*dirs(tmp_path, data), "build", "xai-colossus", "--lang", "en", "--out", str(tmp_path / "x"))
    assert code == 0
    assert out.strip() == str(tmp_path / "x" / "xai-colossus" / f"{EDITION}.en.pdf")


def test_no_command_builds_every_brief(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(*dirs(tmp_path, data))
    assert code == 0 and len(out.splitlines()) == 2


def test_an_unknown_brief_is_one_line_without_traceback(tmp_path: Path, data: Path) -> None:
    code, out, err = run(*dirs(tmp_path, data), "build", "no-such-brief")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no brief 'no-such-brief'" in err and "xai-colossus" in err
    assert "Traceback" not in err


def test_a_bad_fact_names_file_line_and_column_and_writes_nothing(tmp_path: Path, data: Path) -> None:
    facts = data / "xai-colossus" / "facts.csv"
    lines = facts.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",100000,", ",10万,", 1)
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run(*dirs(tmp_path, data), "build", "xai-colossus")
    assert code == 1
    assert f"{facts}:2: value: " in err and "10万" in err
    assert not (tmp_path / "reports" / "xai-colossus").exists()


def test_debug_shows_the_traceback(tmp_path: Path, data: Path) -> None:
    from briefgen.base.errors import SpecError

    with pytest.raises(SpecError):
        run(*dirs(tmp_path, data), "--debug", "build", "no-such-brief")


def unreview(spec: Path) -> None:
    """Take the editor's review (``acknowledged``, one line or a ja/en block) off every claim."""
    text = spec.read_text(encoding="utf-8")
    spec.write_text(re.sub(r"^ *acknowledged:.*\n(?:      .*\n)*", "", text, flags=re.M), encoding="utf-8")


def test_check_reports_verdicts_and_exits_3_on_an_unreviewed_contradiction(tmp_path: Path, data: Path) -> None:
    code, out, _ = run(*dirs(tmp_path, data), "check", "xai-colossus")
    assert code == 0
    assert "[overstated] c_half" in out and "50% → 42%" in out
    assert "[contradicted] c_valuation" in out and "reviewed" in out
    assert "xai_valuation=$24B, xai_valuation_headline=$130B; used: xai_valuation" in out
    spec = data / "xai-colossus" / "brief.yaml"
    unreview(spec)
    code, out, _ = run(*dirs(tmp_path, data), "check", "xai-colossus", "--lang", "ja")
    assert code == EXIT_BLOCKED
    assert "! [矛盾] c_valuation" in out and "[誇張] c_half" in out


def test_extract_lists_candidates_and_writes_a_facts_table(tmp_path: Path) -> None:
    code, out, _ = run("extract", str(SEED_ARTICLE))
    assert code == 0 and "10万枚\t100000 GPU" in out and "60億ドル\t6000000000 USD" in out
    target = tmp_path / "candidates.csv"
    code, out, _ = run("extract", str(SEED_ARTICLE), "--out", str(target))
    assert code == 0 and "candidates" in out
    assert target.read_text(encoding="utf-8").startswith("id,entity,metric,value,low,high,unit,as_of")


def test_extract_against_a_brief_lists_uncovered_numbers(data: Path) -> None:
    code, out, _ = run("--data", str(data), "extract", str(SEED_ARTICLE), "--against", "xai-colossus")
    assert code == 0
    assert "7、8の都市" in out and "Facts whose quote is no longer in the article: 0" in out


def test_extract_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("extract", str(tmp_path / "nope.txt"))
    assert code == 1 and "nope.txt" in err and err.count("\n") == 1


def test_send_dry_run_writes_one_message_per_reader(tmp_path: Path, data: Path) -> None:
    outbox = tmp_path / "outbox"
    code, out, err = run(*dirs(tmp_path, data), "send", "xai-colossus", "--dry-run", "--outbox", str(outbox),
                         "--config", str(data / "smtp.toml"), "--readers", str(data / "readers.csv"))
    assert (code, err) == (0, "")
    assert "4 messages written (dry run, nothing sent)" in out
    assert len(list(outbox.glob("*.eml"))) == 4


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("BRIEFGEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BRIEFGEN_SMTP_PORT", str(port))
    monkeypatch.setenv("BRIEFGEN_SMTP_SECURITY", "none")


def test_send_delivers_once_and_status_shows_it(tmp_path: Path, data: Path, smtp_server: ServerFactory,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server("none")
    _smtp_env(monkeypatch, server.port)
    args = (*dirs(tmp_path, data), "send", "xai-colossus", "--config", str(data / "smtp.toml"),
            "--readers", str(data / "readers.csv"))
    assert run(*args)[:2] == (0, f"xai-colossus {EDITION}: 4 sent, 0 already delivered, 0 failed\n")
    assert run(*args)[:2] == (0, f"xai-colossus {EDITION}: 0 sent, 4 already delivered, 0 failed\n")
    assert len(server.handler.received) == 4
    by_reader = {m.rcpt_tos[0]: m.message for m in server.handler.received}
    ja = by_reader["hanako.yamada@example.jp"]
    assert "xAIのメンフィス" in str(ja["Subject"])
    attachment = next(part for part in ja.iter_attachments())
    assert "4倍" in pdf_text(attachment.get_content())
    code, out, _ = run(*dirs(tmp_path, data), "status", "--readers", str(data / "readers.csv"))
    assert code == 0 and "4 sent, 0 failed" in out and "alice@example.com" in out


def test_nothing_is_sent_from_a_brief_with_an_unreviewed_contradiction(
        tmp_path: Path, data: Path, smtp_server: ServerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server("none")
    _smtp_env(monkeypatch, server.port)
    spec = data / "xai-colossus" / "brief.yaml"
    unreview(spec)
    code, _, err = run(*dirs(tmp_path, data), "send", "xai-colossus", "--config", str(data / "smtp.toml"),
                       "--readers", str(data / "readers.csv"))
    assert code == 1 and "c_valuation" in err and "nothing was sent" in err
    assert server.handler.received == []


def test_schedule_once_sends_the_due_edition_once(tmp_path: Path, data: Path, smtp_server: ServerFactory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server = smtp_server("none")
    _smtp_env(monkeypatch, server.port)
    args = ("--data", str(data), "--reports", str(tmp_path / "reports"), "--state", str(tmp_path / "var"),
            "--templates", str(TEMPLATES), "schedule", "--once", "--config", str(data / "smtp.toml"), "--readers", str(data / "readers.csv"))
    assert run(*args)[0] == 0
    assert run(*args)[0] == 0
    assert len(server.handler.received) == 4
    archived = sorted(p.name for p in (tmp_path / "reports" / "xai-colossus").glob("*.pdf"))
    assert len(archived) == 2 and archived[0].endswith(".en.pdf")


def test_run_py_help_is_fast_to_reach_and_lists_the_commands() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "--help"], capture_output=True, text=True,
                            check=True)
    for command in ("build", "check", "extract", "send", "status", "schedule"):
        assert command in result.stdout


def test_no_command_builds_the_good_briefs_and_reports_the_broken_one(tmp_path: Path, data: Path) -> None:
    broken = data / "zz-broken"
    shutil.copytree(data / "xai-colossus", broken)
    spec = broken / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("id: xai-colossus", "id: zz-broken", 1),
                    encoding="utf-8")
    (broken / "facts.csv").write_text("id,entity\n", encoding="utf-8")
    code, out, err = run(*dirs(tmp_path, data))
    assert code == 1 and len(out.splitlines()) == 2  # xai-colossus, both languages
    assert err.count("\n") == 1 and str(broken / "facts.csv") in err


def test_no_command_with_no_briefs_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run("--data", str(tmp_path / "empty"), "--reports", str(tmp_path / "r"))
    assert code == 1 and "no briefs found" in err
