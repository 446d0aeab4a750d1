"""run.py draft end to end in a tmp project: article → data/<id>/ + template → a DRAFT PDF with a to-review
list, claims that check the article's own arithmetic, a brief send and schedule refuse until an editor
removes ``draft: true``."""

from __future__ import annotations

import csv
import re
import shlex
import shutil
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from conftest import DATA, FIXTURES, SEED_ARTICLE, WALKTHROUGH, pdf_text, readme_section
from hardening import Result, run
from pypdf import PdfReader

from briefgen import pipeline

DATE = "2024-07-25"
ENGLISH = FIXTURES / "extract" / "para-en.txt"


def _draft(root: Path, article: Path, brief: str, *extra: str) -> Result:
    return run("--project", str(root), "draft", str(article), "--id", brief, "--publisher", "Seed news",
               "--title", "マスクがxAIに賭ける" if article == SEED_ARTICLE else "xAI in one paragraph",
               "--date", DATE, "--url", "https://example.com/article", *extra)


def _pdf(root: Path, brief: str, lang: str) -> bytes:
    return (root / "reports" / brief / f"{DATE}.{lang}.pdf").read_bytes()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the seed article drafted as brief ``xai-draft``."""
    root = tmp_path_factory.mktemp("project")
    result = _draft(root, SEED_ARTICLE, "xai-draft")
    assert result.code == 0, result.err
    return root


def test_draft_writes_a_brief_that_loads_as_is(seed: Path) -> None:
    folder = seed / "data" / "xai-draft"
    assert sorted(p.name for p in folder.iterdir()) == ["brief.yaml", "facts.csv", "sources.csv"]
    assert (seed / "templates" / "xai-draft" / "ja.md").is_file()
    prepared = pipeline.prepare(folder / "brief.yaml")
    assert prepared.spec.draft and prepared.spec.review
    head = (folder / "brief.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("# `run.py draft` が ") and "下書き" in head  # in the brief's language
    facts = prepared.facts.facts
    assert facts["gpus"].quantity is not None and facts["gpus"].quantity.mid == 100000
    assert facts["xai_funding"].as_of is not None and str(facts["xai_funding"].as_of) == "2024-05-26"
    assert facts["grok_1_5v_release"].event is not None  # 今年4月13日: the year from --date
    # whole sentences as quotes; an X億ドル（約Y億人民元） pair → an implied rate and a currency comparison
    assert facts["xai_valuation_2"].quote.endswith("に達した。")
    assert facts["usd_cny_rate"].quantity is not None and facts["usd_cny_rate"].quantity.mid == Decimal("7.2417")
    kinds = {c.id: c.kind for c in prepared.comparisons}
    assert kinds["nvidia_h100_usd_in_cny"] == "currency"
    source = _rows(folder / "sources.csv")[0]
    assert (source["publisher"], source["date"], source["url"], source["lang"]) == (
        "Seed news", DATE, "https://example.com/article", "ja")


def test_the_drafted_claims_check_the_articles_arithmetic(seed: Path) -> None:
    prepared = pipeline.prepare(seed / "data" / "xai-draft" / "brief.yaml")
    verdicts = {c.claim.id: (c.claim.quote, c.verdict, c.claim.direction) for c in prepared.checks}
    assert verdicts["c_gpus_to_gpt4_gpus"] == ("数量は4倍に増加", "holds", "about")  # 100,000 ÷ 25,000
    assert verdicts["c_xai_funding_share_of_openai_funding"] == (                  # 60 ÷ 143 = 42 %, not half
        "OpenAIの10年分の資金調達額の半分に相当する", "overstated", "about")
    assert verdicts["c_nvidia_h100_usd_in_cny"][1:] == ("holds", "at_least")       # 40億ドル × 7.2417 vs 290億以上
    assert verdicts["c_gpus_times_nvidia_h100_usd_per_gpu"][1] == "holds"         # 10万台 × 3-4万ドル vs 40億ドル
    # the headline's 1300億ドル and the body's 240億ドル: one valuation, two figures
    assert any({f.id for f in c.facts} == {"xai_valuation", "xai_valuation_2"} for c in prepared.conflicts)
    checked = run("--project", str(seed), "check", "xai-draft")
    assert checked.code == 0 and "[overstated] c_xai_funding_share_of_openai_funding" in checked.out


def test_the_draft_pdf_is_marked_draft_on_every_page_and_lists_what_to_review(seed: Path) -> None:
    data = _pdf(seed, "xai-draft", "ja")
    pages = [page.extract_text() for page in PdfReader(BytesIO(data)).pages]
    assert len(pages) > 1 and all("DRAFT — 草稿・未確認（送信不可）" in text for text in pages)
    assert str(PdfReader(BytesIO(data)).metadata.title).startswith("DRAFT: ")
    text = re.sub(r"\s+", " ", pdf_text(data))
    assert "要確認（草稿）" in text
    # the review notes in the edition's language
    flat = re.sub(r"\s+", "", text)
    assert "「数千万ドル」は数量を特定していません" in flat                             # vague amount
    assert re.search(r"water（facts\.csv:\d+）：entityが\?のまま", flat)                # a placeholder
    assert "には日付がないため" in flat                                                 # a date folded in
    assert "主張c_gpus_to_gpt4_gpus「" in flat and "として下書きしました" in flat       # a drafted claim
    assert "no exact amount" not in text and "drafted as" not in text


def test_an_english_paragraph_drafts_an_english_brief(tmp_path: Path) -> None:
    result = _draft(tmp_path, ENGLISH, "xai-en")
    assert result.code == 0, result.err
    prepared = pipeline.prepare(tmp_path / "data" / "xai-en" / "brief.yaml")
    verdicts = {c.claim.quote: c.verdict for c in prepared.checks}
    assert verdicts["42% of the $14.3 billion OpenAI raised from 2015 to 2018 and beyond"] == "holds"
    assert verdicts["or nearly half of it."] == "overstated"
    assert verdicts["4x the 25,000 GPUs used to train GPT-4 (4× by any count)"] == "holds"
    assert len(prepared.checks) == 3  # 4x and 4× in one clause are one claim
    text = re.sub(r"\s+", " ", pdf_text(_pdf(tmp_path, "xai-en", "en")))
    assert "DRAFT — not reviewed, not for sending" in text and "To review (draft)" in text


def test_draft_refuses_to_overwrite_a_brief_unless_forced(tmp_path: Path) -> None:
    assert _draft(tmp_path, ENGLISH, "xai-en").code == 0
    facts = tmp_path / "data" / "xai-en" / "facts.csv"
    facts.write_text("edited\n", encoding="utf-8")
    again = _draft(tmp_path, ENGLISH, "xai-en")
    assert again.code == 1 and again.err.count("\n") == 1
    assert f"{tmp_path / 'data' / 'xai-en'}: already exists; nothing was written" in again.err
    assert facts.read_text(encoding="utf-8") == "edited\n"
    assert _draft(tmp_path, ENGLISH, "xai-en", "--force").code == 0
    assert facts.read_text(encoding="utf-8").startswith("id,entity,metric")


@pytest.mark.parametrize("text, argv, message", [
    (None, ("--id", "Bad_ID"), "--id: bad brief id 'Bad_ID' (expected lower-case letters"),
    (None, ("--id", "ok", "--title", "x\u202ey"), "--title: bidi controls U+202E in the title"),
    ("Nothing to count here.\n", ("--id", "ok"), "{article}: no amount or date found; nothing was written"),
])
def test_bad_input_is_one_located_line_and_writes_nothing(tmp_path: Path, text: str | None,
                                                          argv: tuple[str, ...], message: str) -> None:
    article = ENGLISH if text is None else tmp_path / "article.txt"
    if text is not None:
        article.write_text(text, encoding="utf-8")
    result = run("--project", str(tmp_path), "draft", str(article), "--publisher", "P", "--title", "T", *argv)
    assert result.code == 1 and result.err.count("\n") == 1
    assert result.err.startswith("error: " + message.format(article=article)), result.err
    assert not (tmp_path / "data").exists() and not (tmp_path / "templates").exists()


def _name_placeholders(facts: Path) -> None:
    """The editor's pass over the facts: every ``?`` named."""
    rows = _rows(facts)
    for row in rows:
        row.update({k: "xAI" if k == "entity" else "amount" for k in ("entity", "metric") if row[k] == "?"})
    with facts.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _project_with_a_draft(tmp_path: Path) -> Path:
    assert _draft(tmp_path, SEED_ARTICLE, "xai-draft").code == 0
    shutil.copy(DATA / "smtp.toml", tmp_path / "data" / "smtp.toml")
    (tmp_path / "data" / "readers.csv").write_text(
        "name,email,lang,briefs\nA Reader,reader@example.com,ja,xai-draft\n", encoding="utf-8")
    return tmp_path


def test_send_and_schedule_refuse_a_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project_with_a_draft(tmp_path)
    sent = run("--project", str(root), "send", "xai-draft", "--dry-run")
    assert sent.code == 1 and sent.err.count("\n") == 1
    assert sent.err.startswith(f"error: {root / 'data' / 'xai-draft' / 'brief.yaml'}: draft: brief xai-draft "
                               "is a draft; nothing was sent")
    assert not (root / "outbox").exists()
    spec = root / "data" / "xai-draft" / "brief.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + 'schedule: {weekday: monday, at: "08:00", tz: Asia/Tokyo}\n',
                    encoding="utf-8")
    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", "unused")
    scheduled = run("--project", str(root), "schedule", "--once")
    assert scheduled.code == 1 and "draft: brief xai-draft is a draft; nothing was sent" in scheduled.err


def test_removing_draft_true_after_editing_makes_it_a_normal_brief(tmp_path: Path) -> None:
    root = _project_with_a_draft(tmp_path)
    folder = root / "data" / "xai-draft"
    spec = folder / "brief.yaml"
    text = spec.read_text(encoding="utf-8")
    undrafted = re.sub(r"draft: true\n", "", text)
    spec.write_text(undrafted, encoding="utf-8")
    early = run("--project", str(root), "build", "xai-draft")
    assert early.code == 1 and "review: " in early.err and "left to review in a brief that is not a draft" in early.err
    spec.write_text(re.sub(r"review:\n(  - .*\n)+", "", undrafted), encoding="utf-8")
    placeholders = run("--project", str(root), "build", "xai-draft")
    assert placeholders.code == 1
    assert re.search(r"facts\.csv:\d+: entity: placeholder '\?' left by draft \(expected the fact's entity",
                     placeholders.err)
    _name_placeholders(folder / "facts.csv")
    built = run("--project", str(root), "--date", DATE, "build", "xai-draft")
    assert built.code == 0, built.err
    text = pdf_text(_pdf(root, "xai-draft", "ja"))
    assert "DRAFT" not in text and "要確認" not in text
    sent = run("--project", str(root), "--date", DATE, "send", "xai-draft", "--dry-run")
    assert sent.code == 0, sent.err
    assert "1 messages written" in sent.out


# --- the README's walkthrough, command by command ---------------------------------------------------

def _walkthrough_blocks() -> list[list[list[str]]]:
    """The README walkthrough's ```sh blocks, each a list of run.py argument lists."""
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(WALKTHROUGH), re.S)
    prefix = [".venv/bin/python", "run.py"]
    commands = [[shlex.split(line) for line in block.splitlines() if line.strip()] for block in blocks]
    assert all(c[:2] == prefix for block in commands for c in block)
    return [[c[2:] for c in block] for block in commands]


def test_the_readme_walkthrough_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drafting, finishing = _walkthrough_blocks()
    monkeypatch.chdir(tmp_path)
    shutil.copy(SEED_ARTICLE, tmp_path / "article.txt")
    for argv in drafting:
        result = run("--project", str(tmp_path), *argv)
        assert result.code == 0, (argv, result.err)
    assert "[overstated]" in run("--project", str(tmp_path), "check", "xai-memphis").out
    # minutes 3-5, as the README says: write every ?, delete draft: true and review:, add a reader
    folder = tmp_path / "data" / "xai-memphis"
    _name_placeholders(folder / "facts.csv")
    spec = folder / "brief.yaml"
    spec.write_text(re.sub(r"draft: true\n|review:\n(  - .*\n)+", "", spec.read_text(encoding="utf-8")),
                    encoding="utf-8")
    shutil.copy(DATA / "smtp.toml", tmp_path / "data" / "smtp.toml")
    (tmp_path / "data" / "readers.csv").write_text(
        "name,email,lang,briefs\nA Reader,reader@example.com,ja,xai-memphis\n", encoding="utf-8")
    results = [run("--project", str(tmp_path), *argv) for argv in finishing]
    assert [r.code for r in results] == [0, 0], [r.err for r in results]
    assert "DRAFT" not in pdf_text((tmp_path / "reports" / "xai-memphis" / "2024-07-25.ja.pdf").read_bytes())
    assert "1 messages written" in results[-1].out
