"""write_atomic, safe_component, report_path: files land whole, or not at all, and never outside the folder."""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from pathlib import Path

import pytest

from briefgen.base import output
from briefgen.base.errors import OutputError
from briefgen.base.output import report_path, safe_component, write_atomic

OLD = b"%PDF-1.4 old edition"
NEW = b"%PDF-1.4 new edition"


def test_write_creates_the_folder_and_the_file(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "a.pdf"
    assert write_atomic(NEW, target) == target
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(target.parent) == ["a.pdf"]


def test_write_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    target.write_bytes(OLD)
    write_atomic(NEW, target)
    assert target.read_bytes() == NEW and os.listdir(tmp_path) == ["a.pdf"]


def fail_with(code: int) -> object:
    def raiser(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))
    return raiser


@pytest.mark.parametrize(("name", "code"), [
    ("replace", errno.ENOSPC),
    ("fsync", errno.ENOSPC),
    ("replace", errno.EROFS),
])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    target = tmp_path / "a.pdf"
    target.write_bytes(OLD)
    monkeypatch.setattr(output.os, name, fail_with(code))
    with pytest.raises(OutputError) as caught:
        write_atomic(NEW, target)
    assert str(target) in str(caught.value) and os.strerror(code) in str(caught.value)
    assert target.read_bytes() == OLD
    assert os.listdir(tmp_path) == ["a.pdf"]


def test_an_unwritable_folder_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.tempfile, "mkstemp", fail_with(errno.EACCES))
    with pytest.raises(OutputError, match="Permission denied"):
        write_atomic(NEW, tmp_path / "a.pdf")


def test_a_file_where_the_folder_should_be_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / "reports").write_bytes(b"not a folder")
    with pytest.raises(OutputError, match="reports/a.pdf: cannot write the PDF"):
        write_atomic(NEW, tmp_path / "reports" / "a.pdf")


@pytest.mark.parametrize(("name", "safe"), [
    ("xai-colossus", "xai-colossus"),
    ("../../etc/x", "etc-x"),
    ("/abs/path", "abs-path"),
    ("a<b>:|?.pdf", "a-b-.pdf"),
    ("CON", "CON_"),
    ("nul.txt", "nul_.txt"),
    (".hidden", "hidden"),
    ("a\x00b\nc", "a-b-c"),
    ("日本語 ブリーフ", "日本語-ブリーフ"),
    ("x" * 300, "x" * 100),
])
def test_safe_component_makes_one_harmless_name(name: str, safe: str) -> None:
    assert safe_component(name) == safe


@pytest.mark.parametrize("name", ["", " ", ".", "..", "...", "///", "<>|"])
def test_hopeless_names_are_output_errors(name: str) -> None:
    with pytest.raises(OutputError, match="not usable as a file name"):
        safe_component(name)


def test_report_path_shape(tmp_path: Path) -> None:
    path = report_path(tmp_path, "xai-colossus", "ja", dt.date(2024, 7, 29))
    assert path == tmp_path / "xai-colossus" / "2024-07-29.ja.pdf"


def test_report_path_stays_inside_the_folder(tmp_path: Path) -> None:
    path = report_path(tmp_path, "../../etc/passwd", "../ja", dt.date(2024, 7, 29))
    assert path.parent == tmp_path / "etc-passwd" and path.name == "2024-07-29.ja.pdf"


def test_report_path_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "x").mkdir()
    (reports / "x" / "2024-07-29.ja.pdf").symlink_to(tmp_path / "elsewhere.pdf")
    with pytest.raises(OutputError, match="outside the reports folder"):
        report_path(reports, "x", "ja", dt.date(2024, 7, 29))


def test_report_path_refuses_a_brief_folder_linked_out_of_the_reports(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (reports / "x").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputError, match="outside the reports folder"):
        report_path(reports, "x", "ja", dt.date(2024, 7, 29))
