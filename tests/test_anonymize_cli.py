"""`coach anonymize`: plain and --json output, stdin and file, a missing file is a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ui.cli.app import _load_commands, app

ROOT = Path(__file__).resolve().parents[1]


def run(args, stdin=None):
    _load_commands()
    return CliRunner().invoke(app, ["anonymize", *args], input=stdin)


def test_stdin_plain():
    res = run(["-"], "张总电话13812345678\nMr. Smith: smith@acme.com\n")
    assert res.exit_code == 0, res.output
    # one scope for the whole input: letters count per kind across both languages
    assert res.output.splitlines() == ["[客户A]总电话[电话]", "Mr. [Person B]: [EMAIL]"]


def test_file_json_and_mask_amounts(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("李经理说预算50万\nJohn Carter paid $5,000\n", encoding="utf-8")
    res = run([str(path), "--json", "--mask-amounts"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.output.splitlines()]
    assert rows[0]["text"] == "[客户A]经理说预算[金额]"
    assert {"kind": "amount", "text": "50万", "replacement": "[金额]"} in rows[0]["entities"]
    assert rows[1]["text"] == "[Person B] paid [AMOUNT]"
    assert rows[1]["entities"][0] == {"kind": "person", "text": "John Carter", "replacement": "[Person B]"}


def test_missing_file_is_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "from ui.cli import main; main()", "anonymize", str(tmp_path / "nope.txt")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "nope.txt" in proc.stderr and "error:" in proc.stderr
