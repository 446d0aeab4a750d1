"""The word table: every entry in both languages with the same fields, no reader-facing Japanese
anywhere else in the package, and the Japanese edition worded from it (read back from the PDF)."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from string import Formatter

import pytest
from conftest import DATA, REFERENCE_SPEC, TEMPLATES, pdf_text

import briefgen
from briefgen import pipeline
from briefgen.base import words
from briefgen.render import fonts

PACKAGE = Path(briefgen.__file__).parent
#: Japanese script, CJK punctuation and full-width forms.
_JAPANESE = re.compile("[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")

#: Modules whose Japanese literals are not words for readers, and why.
ALLOWED_MODULES = {
    "base/units.py": "unit words: the unit table that data/units.yaml and a spec's units: extend",
    "extract/numberwords.py": "number words and counters read from articles",
    "extract/numbergrammar.py": "the grammar of numbers in articles",
    "extract/candidates.py": "the article lexicon: metric, entity and date words read from articles",
    "extract/extract.py": "counters and punctuation read from articles",
    "render/linebreak.py": "JIS X 4051 character classes",
    "compute/lint.py": "patterns of numbers typed into templates, and the form its message names",
}
#: Single literals allowed elsewhere, and why.
ALLOWED_LITERALS = {
    "base/markdown.py": {"([{“‘—–-/「（『", "「」"},                    # quote characters
    "base/numfmt.py": {"〜", "倍", "位"},                              # number notation: range, ratio, rank
    "base/parse.py": {"a number such as 1,234 or -3 or 0.25 or 1.5e9 (digits only: no words, 万/億, NaN or inf)"},
    "compose/directives.py": {"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]"},  # "is this text Japanese?"
    "extract/drafts.py": {"an article with numbers (10万台, $6 billion, 2023年7月)"},  # an error's valid form
    "extract/statements.py": {r"\s*[（(][^()（）]{0,15}$", "半|half|halved|third|quarter", "の"},  # patterns
    "render/fonts.py": {"".join(sorted(fonts._SPACES))},  # white space, U+3000 included
}


def _fields(pattern: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(pattern) if name is not None}


@pytest.mark.parametrize("key", sorted(words.WORDS))
def test_every_entry_has_both_languages_with_the_same_fields(key: str) -> None:
    ja, en = words.WORDS[key]
    assert ja.strip() and en.strip()
    assert _fields(ja) == _fields(en), key
    assert all(name.isidentifier() for name in _fields(ja)), f"{key}: fields are named"


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that are not docstrings, with their lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_module_but_the_word_table_holds_japanese_words_for_readers() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "base/words.py" or name in ALLOWED_MODULES:
            continue
        found += [f"{name}:{line}: {text!r}" for line, text in _literals(path)
                  if _JAPANESE.search(text) and text not in ALLOWED_LITERALS.get(name, set())]
    assert found == []


def test_the_allow_lists_name_what_is_there() -> None:
    for name in ALLOWED_MODULES:
        assert any(_JAPANESE.search(text) for _, text in _literals(PACKAGE / name)), name
    for name, allowed in ALLOWED_LITERALS.items():
        assert allowed <= {text for _, text in _literals(PACKAGE / name)}, name


def test_a_phrase_is_worded_in_the_language_asked_for_with_its_inner_phrases() -> None:
    what = words.phrase("review.share", part="gpus", whole="all_gpus")
    note = words.phrase("review.claim", claim="c1", expression="半分", line=3, what=what)
    assert note.text("en") == ("claim c1 「半分」 (line 3): drafted as gpus as a share of all_gpus — check it "
                               "compares what the article compares")
    assert note.text("ja").startswith("主張c1「半分」（3行目）：all_gpusに占めるgpusの割合として下書きしました")
    assert words.text("mark.unverifiable", "ja") == "？" and words.text("mark.unverifiable", "en") == "?"
    with pytest.raises(KeyError):
        words.phrase("no.such.key")


def test_the_japanese_edition_prints_the_fixed_words_in_japanese(tmp_path: Path) -> None:
    edition = pipeline.build_edition(REFERENCE_SPEC, lang="all", today=dt.date(2024, 7, 29), out_dir=tmp_path,
                                     data_dir=DATA, templates_dir=TEMPLATES)
    ja = re.sub(r"\s+", "", pdf_text(edition.languages["ja"].pdf))
    en = re.sub(r"\s+", " ", pdf_text(edition.languages["en"].pdf))
    for key in ("pdf.language", "pdf.sources", "header.said", "header.check", "header.note", "header.item",
                "verdict.contradicted", "source.no_url"):
        assert re.sub(r"\s+", "", words.text(key, "ja")) in ja, key
    assert "2024年7月29日号" in ja and "計算値" in ja and "許容差" in ja
    for english in ("Sources", "contradicted", "computed", "tolerance", "Edition of", "The article says"):
        assert english not in ja and english in en
