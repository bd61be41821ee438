"""The README's commands are real: every documented `coach` command exists, and the quick ones run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_commands() -> list[list[str]]:
    """Command paths from the README's bash blocks, alternatives (a|b) expanded."""
    text = README.read_text(encoding="utf-8")
    paths = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if not line.startswith("coach "):
                continue
            words = []
            for token in line.split()[1:]:
                if token.startswith(("-", '"', "[")) or token.isupper() or "=" in token:
                    break
                words.append(token.split("|"))
                if len(words) == 2:
                    break
            expanded = [[]]
            for options in words:
                expanded = [p + [o] for p in expanded for o in options if o]
            for path in expanded:
                if path and path not in paths:
                    paths.append(path)
    return paths


COMMANDS = documented_commands()


def test_readme_documents_the_two_commands_first():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    assert first_block.splitlines()[0].startswith("make run") and "make test" in first_block


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_documented_command_exists(path):
    from ui.cli.app import _load_commands, app

    _load_commands()
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, f"`coach {' '.join(path)}` is in the README but fails: {result.output}"


@pytest.mark.slow
def test_readme_examples_run(seeded_home):
    from ui.cli.app import _load_commands, app

    _load_commands()
    runner = CliRunner()
    again = runner.invoke(app, ["init", "--json"])
    assert again.exit_code == 0 and '"new": 0' in again.output  # idempotent: nothing added the second time
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0 and "trainee" in listed.output
    persona = runner.invoke(app, ["persona", "--scenario", "zh-saas-price", "--seed", "7", "--json"])
    assert persona.exit_code == 0 and '"name"' in persona.output
