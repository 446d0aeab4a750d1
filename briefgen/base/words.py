"""Message ids → the reader-facing words of each edition language (ja, en).

Every fixed word or phrase a brief, its email, its draft or the ``check`` report shows a reader or
an editor is one entry of ``WORDS``: its id, then the Japanese and the English text. A value that
goes into the text is a named field (``{date}``), the same fields in both languages. ``text(key,
lang, **fields)`` writes one; a ``Phrase`` holds an id and its fields until the language is known
(a draft's review notes are found before the draft's language is chosen, a blocked edition's reasons
before each reader's language).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from briefgen.base.model import Lang

#: id → (ja, en).
WORDS: dict[str, tuple[str, str]] = {
    # --- verdicts of a claim check, their marks, and where the article's figure sits ---
    "verdict.holds": ("正しい", "holds"),
    "verdict.overstated": ("誇張", "overstated"),
    "verdict.understated": ("過小", "understated"),
    "verdict.contradicted": ("矛盾", "contradicted"),
    "verdict.unverifiable": ("検証不可", "not checkable"),
    "mark.holds": ("✓", "✓"),
    "mark.overstated": ("▲", "▲"),
    "mark.understated": ("▼", "▼"),
    "mark.contradicted": ("✗", "✗"),
    "mark.unverifiable": ("？", "?"),
    "position.upper": ("上限値を採用", "article used the high end"),
    "position.lower": ("下限値を採用", "article used the low end"),
    "position.within": ("範囲内の値", "within the range"),
    "position.above": ("範囲を上回る", "above the range"),
    "position.below": ("範囲を下回る", "below the range"),
    "direction.about": ("{value}", "{value}"),
    "direction.at_least": ("{value}以上", "at least {value}"),
    "direction.at_most": ("{value}以下", "at most {value}"),
    # --- the claims panel ---
    "claim.check": ("「{said}」→ {computed}（{mark}{verdict}）", "“{said}” → {computed}: {mark} {verdict}"),
    "claim.order": ("{of} {claimed} {than} → {a} {actual} {b}（{mark}{verdict}）",
                    "{of} {claimed} {than} → {a} {actual} {b}: {mark} {verdict}"),
    "claim.measure": ("計算値{computed}、記事{asserted}{deviation}。許容差{tolerance}、{beyond}超は矛盾",
                      "computed {computed} vs asserted {asserted}{deviation}; tolerance {tolerance}, "
                      "contradicted beyond {beyond}"),
    "claim.deviation": ("（{value}）", " ({value})"),
    "claim.overlap": ("範囲が重なり、どちらが大きいか判定できない",
                      "the ranges overlap: the facts cannot tell which is larger"),
    "claim.conflict": ("食い違い：{rivals} vs {used} → {used}を採用",
                       "conflicting figures: {rivals} vs {used} → used {used}"),
    "claim.none": ("検証した記述はありません。", "No claims were checked."),
    "claim.blocked": ("主張{claim}「{quote}」は事実と矛盾します", "claim {claim} 「{quote}」 is contradicted by the facts"),
    "claim.where": ("{reason}（{origin}）。", "{reason} ({origin})"),
    # --- quotes, glosses and notes ---
    "quote": ("「{text}」", "“{text}”"),
    "gloss": ("{quote}（訳：{gloss}）", "{quote} (translation: {gloss})"),
    "gloss.quote": ("「{text}」", "“{text}”"),
    "noted": ("{quote}（注：{note}）", "{quote} (note: {note})"),
    # --- tables: headers and cells ---
    "header.comparison": ("比較", "Comparison"),
    "header.value": ("値", "Value"),
    "header.formula": ("計算式", "Formula"),
    "header.said": ("記事の記述", "The article says"),
    "header.check": ("検証（記事 → 計算値）", "Check (article → computed)"),
    "header.note": ("注記", "Note"),
    "header.item": ("項目", "Item"),
    "header.as_written": ("記事の記述", "As written"),
    "header.status": ("扱い", "Status"),
    "header.as_of": ("時点", "As of"),
    "header.source": ("出典", "Source"),
    "conflict.used": ("採用", "used"),
    "conflict.unused": ("不採用", "not used"),
    "conflict.none": ("食い違う数値はありません。", "No conflicting figures."),
    "none": ("—", "—"),
    "na": ("算出不可", "n/a"),
    "sep": ("：", ": "),
    "list.sep": ("、", ", "),
    "note.sep": ("；", "; "),
    # --- cut lists, changes since the last edition, charts, source notes ---
    "cut.facts": ("全{total}件の事実のうち{shown}件を表示。全件は{file}にあります。",
                  "Showing {shown} of {total} facts; the full table is in {file}."),
    "cut.conflicts": ("食い違う数値{total}件のうち{shown}件を表示。全件はcheckコマンドで確認できます。",
                      "Showing {shown} of {total} conflicting figures; check lists them all."),
    "cut.changes": ("前号からの変更{total}件のうち{shown}件を表示。全件は{file}と前号の比較で確認できます。",
                    "Showing {shown} of {total} changes since the last edition; compare {file} with "
                    "the last edition's for all of them."),
    "cut.facts_file": ("事実の表", "the facts file"),
    "change.first": ("初回の号のため、前号との比較はありません。",
                     "This is the first edition: there is no earlier edition to compare with."),
    "change.none": ("前号からの変更はありません。", "No changes since the last edition."),
    "change.new": ("新規：{label}", "New: {label}"),
    "change.removed": ("削除：{label}", "Removed: {label}"),
    "change.was": ("（前号：{value}）", " (was {value})"),
    "change.relative": ("{before} → {after}（{relative}）", "{before} → {after} ({relative})"),
    "trend.step": ("{amount}（{relative}）", "{amount} ({relative})"),
    "trend.none": ("前号までの記録がないため、推移はまだ示せません。",
                   "There is no earlier edition yet, so there is no trend to show."),
    "trend.new": ("新規", "new"),
    "trend.absent": ("この号になし", "not in this edition"),
    "header.edition": ("号", "Edition"),
    "header.change": ("前号からの変化", "Change"),
    "chart.sources": ("出典：{markers}", "Sources: {markers}"),
    "chart.not_drawn": ("算出不可のため省略：{items}", "Not drawn (n/a): {items}"),
    "source.no_url": ("URLなし", "no URL"),
    "source.no_date": ("日付不明", "date unknown"),
    # --- shares as articles word them ---
    "share.half": ("半分", "half"),
    "share.third": ("3分の1", "a third"),
    "share.two_thirds": ("3分の2", "two thirds"),
    "share.quarter": ("4分の1", "a quarter"),
    "share.three_quarters": ("4分の3", "three quarters"),
    # --- the PDF: masthead, sources, draft marking ---
    "pdf.edition": ("{date}号", "Edition of {date}"),
    "pdf.language": ("日本語", "English"),
    "pdf.sources": ("出典", "Sources"),
    "pdf.draft": ("DRAFT — 草稿・未確認（送信不可）", "DRAFT — not reviewed, not for sending"),
    "pdf.subject": ("{title}（{date}）", "{title} — {date}"),
    # --- a draft's to-review section ---
    "review.heading": ("要確認（草稿）", "To review (draft)"),
    "review.done": ("確認事項はありません。brief.yaml の draft: true を消すと通常のブリーフになります。",
                    "Nothing left to review: delete draft: true from brief.yaml to make this a normal brief."),
    "review.placeholder": ("{fact}（{where}）：{field}が {placeholder} のまま — 事実の表に書いてください",
                           "{fact} ({where}): {field} {placeholder} — write it in the facts table"),
    "review.no_source_date": ("出典に日付がありません（--date）：as_of をすべて確認してください",
                              "the source has no date (--date): check every as_of"),
    "review.vague": ("{line}行目：「{expression}」は数量を特定していません。数値を書くか、省いてください",
                     "line {line}: 「{expression}」 names no exact amount; state one or leave it out"),
    "review.no_year": ("{line}行目：「{expression}」には年がありません。出来事は手で追加してください",
                       "line {line}: 「{expression}」 has no year; add the event by hand"),
    "review.merged": ("{line}行目：「{expression}」を{first}行目と統合しました。別の事実なら分けてください",
                      "line {line}: 「{expression}」 merged with line {first}; split it if it is another fact"),
    "review.unclear": ("{fact}（{line}行目）：{field}が不明 — facts.csv に書いてください",
                       "{fact} (line {line}): {field} unclear — write it in facts.csv"),
    "review.shared_date": ("{fact}（{line}行目）には日付がないため、{twin}（{twin_line}行目）の as_of {as_of} "
                           "を使いました。同じ数字なら正しい方を残してください",
                           "{fact} (line {line}) has no date of its own: as_of {as_of} taken from {twin} "
                           "(line {twin_line}); if both are one figure, keep the right one"),
    "review.claim": ("主張{claim}「{expression}」（{line}行目）：{what}として下書きしました — "
                     "記事が比べているものと同じか確認してください",
                     "claim {claim} 「{expression}」 (line {line}): drafted as {what} — check it compares what "
                     "the article compares"),
    "review.no_pair": ("{line}行目：「{expression}」が比べる数量を同じ段落に見つけられませんでした。"
                       "主張を手で書くか、省いてください",
                       "line {line}: 「{expression}」 compares amounts the draft could not find in its "
                       "paragraph; write the claim by hand or leave it out"),
    "review.no_rank": ("{line}行目：「{expression}」の順位を2つ以上の数量と対応づけられませんでした。"
                       "主張を手で書くか、省いてください",
                       "line {line}: 「{expression}」 ranks something the draft could not match with two or "
                       "more amounts; write the claim by hand or leave it out"),
    "review.rate": ("{fact} {value} {unit}：「{sentence}」（{line}行目）から算出 — "
                    "記事が一つのレートで換算しているか確認してください",
                    "{fact} {value} {unit}: implied by 「{sentence}」 (line {line}); check the article "
                    "converts at one rate"),
    "review.share": ("{whole}に占める{part}の割合", "{part} as a share of {whole}"),
    "review.rank": ("{among}の中での{subject}の順位", "the rank of {subject} among {among}"),
    # --- a draft's files ---
    "draft.hint": ("run.py draft の下書き。本文を書くときは f.<事実id>|num と c.<比較id>|num で数字を引く。",
                   "A draft by run.py draft. Write the text here; cite figures as f.<fact id>|num and "
                   "c.<comparison id>|num."),
    "draft.spec_head": ("# `run.py draft` が {article} から作った下書き。確認したら `draft: true` と `review:` を消す。\n"
                        "# 事実は facts.csv（\"?\" は下書きが判断できなかった主体や指標）。主張は記事自身の比較の記述で、"
                        "どれが正しいかは `run.py check {brief}` で分かる。\n",
                        "# A draft made by `run.py draft` from {article}. Review it, then delete `draft: true` and "
                        "`review:`.\n# Facts: facts.csv (a \"?\" is an entity or metric the draft could not tell). "
                        "Claims are the article's\n# own comparative statements; `run.py check {brief}` shows which "
                        "hold.\n"),
    "draft.claims": ("記事の数字の検証", "Checking the article"),
    "draft.conflicts": ("食い違う数字", "Conflicting figures"),
    "draft.comparisons": ("比較と計算式", "Comparisons and formulas"),
    "draft.facts": ("使用した事実", "Facts used"),
    "draft.rate_label": ("{pair}換算レート（記事の数字から）", "{pair} rate (implied by the article)"),
    "draft.qualified": ("{label}（{qualifier}）", "{label} ({qualifier})"),
    "qualifier.about": ("約", "about"),
    "qualifier.at_least": ("以上", "at least"),
    "qualifier.at_most": ("以下", "at most"),
    "qualifier.only": ("わずか", "only"),
    # --- the email ---
    "mail.tag_test": ("[TEST] ", "[TEST] "),  # subject tags: one form for mail filters
    "mail.tag_blocked": ("[BLOCKED] ", "[BLOCKED] "),
    "mail.subject": ("{title}（{date}号）", "{title} — {date}"),
    "mail.greeting": ("{name} 様", "Dear {name},"),
    "mail.intro": ("{title}（{date}号）をお届けします。全文は添付のPDFをご覧ください。",
                   "Here is {title} for {date}. The full brief is attached as a PDF."),
    "mail.key_numbers": ("今号の主な数字", "Key numbers"),
    "mail.warnings": ("記事の記述の検証で食い違った箇所", "Claims in the article that the facts do not bear out"),
    "mail.page_one": ("PDFの1ページ目", "Page 1 of the PDF"),
    "mail.test": ("テスト送信です。読者には送られておらず、配信記録にも残りません。",
                  "This is a test send: no reader got it and the ledger does not record it."),
    "mail.blocked": ("この号は送信できません（ブロック中）。", "BLOCKED: this edition cannot be sent."),
    "mail.blocked_reason": ("{reason}", " {reason}"),  # each reason after the line above
    "mail.closing": ("briefgen", "briefgen"),
    # --- the check report (terminal) ---
    "report.claims": ("主張の検証", "Claim checks"),
    "report.conflicts": ("矛盾する事実", "Conflicting facts"),
    "report.no_conflicts": ("矛盾なし", "no conflicts"),
    "report.used": ("採用", "used"),
    "report.no_claims": ("検証する主張なし", "no claims to check"),
    "report.reviewed": ("確認済み：{note}", "reviewed: {note}"),
    "report.quote": ("「{text}」", "「{text}」"),  # the article's words as written, in either edition
}

Field = Union[str, int, "Phrase"]


@dataclass(frozen=True)
class Phrase:
    """A message id and its values, worded when the language is known: ``phrase.text(lang)``."""

    key: str
    fields: tuple[tuple[str, Field], ...] = ()

    def text(self, lang: Lang) -> str:
        return text(self.key, lang, **dict(self.fields))


def phrase(key: str, **fields: Field) -> Phrase:
    """The phrase ``key`` with ``fields`` (an unknown key is a ``KeyError`` now, not when worded)."""
    if key not in WORDS:
        raise KeyError(key)
    return Phrase(key, tuple(fields.items()))


def text(key: str, lang: Lang, **fields: Field) -> str:
    """The words of ``key`` in ``lang`` with ``fields`` filled in (a ``Phrase`` field in ``lang`` too)."""
    ja, en = WORDS[key]
    values = {name: value.text(lang) if isinstance(value, Phrase) else value for name, value in fields.items()}
    return (ja if lang == "ja" else en).format_map(values)
