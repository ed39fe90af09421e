"""The command line: units and codes are created and printed; a code admits its bearer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main


def _code(output: str) -> str:
    match = re.search(r"\(dùng một lần\): (\w+)", output)
    assert match, output
    return match.group(1)


def test_org_commands_and_a_chat_with_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    assert main(["org", "create-committee", "Đảng bộ xã Tân Phú"]) == 0
    committee_code = _code(capsys.readouterr().out)
    assert main(["org", "create-committee", "dang bo xa tan phu"]) == 1
    assert "Đã có đảng bộ tên" in capsys.readouterr().err
    assert main(["org", "create-cell", "--committee", "Dang bo xa Tan Phu", "Chi bộ ấp 1"]) == 0
    out = capsys.readouterr().out
    assert "Đã tạo Chi bộ ấp 1 thuộc Đảng bộ xã Tân Phú." in out and "Mã đảng viên: " in out
    assert main(["org", "create-cell", "--committee", "Không có", "Chi bộ ấp 2"]) == 1
    assert main(["org", "secretary-code", "--committee", "Đảng bộ xã Tân Phú", "chi bo ap 1"]) == 0
    cell_code = _code(capsys.readouterr().out)
    assert cell_code != committee_code

    script = tmp_path / "talk.txt"
    script.write_text(f"an: /thamgia {committee_code} Nguyễn Văn An\nbinh: /thamgia {cell_code} Trần Thị Bình\n",
                      encoding="utf-8")
    assert main(["chat", "--script", str(script), "--database", f"sqlite+aiosqlite:///{tmp_path}/cli.db"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"an: /thamgia {committee_code} Nguyễn Văn An",
        "bot -> an: Đồng chí Nguyễn Văn An đã là bí thư Đảng bộ xã Tân Phú.",
        "  Gõ /taochibo <tên chi bộ> để tạo chi bộ và nhận mã cho bí thư chi bộ. Gõ /trogiup để xem các lệnh.",
        f"binh: /thamgia {cell_code} Trần Thị Bình",
        "bot -> binh: Đồng chí Trần Thị Bình đã là bí thư Chi bộ ấp 1.",
        "  Gõ /moi để lấy mã mời đảng viên, /duyet để duyệt yêu cầu tham gia, /trogiup để xem các lệnh.",
    ]


def test_transcript_check_reports_a_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "wrong.txt"
    script.write_text("lan: /huy\nbot -> lan: Một câu trả lời khác.\n", encoding="utf-8")
    assert main(["chat", "--script", str(script), "--check"]) == 1
    out = capsys.readouterr().out
    assert "after line 1 (lan: /huy)" in out and "|bot -> lan: Đã hủy thao tác đang làm dở." in out
    script.write_text("lan: /huy\nbot -> lan: Đã hủy thao tác đang làm dở.\n", encoding="utf-8")
    assert main(["chat", "--script", str(script), "--check"]) == 0


def test_console_reads_piped_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.chdir(tmp_path)  # no developer's .env with a real token
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    monkeypatch.setattr("sys.stdin", io.StringIO("/trogiup\n/toi\n"))
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "Chưa cấu hình TELEGRAM_BOT_TOKEN" in out
    assert "bot -> an: Các lệnh đồng chí dùng được:" in out
    assert "Chức vụ: bí thư Chi bộ khu phố 1" in out
