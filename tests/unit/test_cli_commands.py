"""Every command the README shows exists, with the options it shows (``make run`` is ``billpay demo``)."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billpay.cli import app as cli_app

README = Path(__file__).resolve().parents[2] / "README.md"
MAKEFILE = README.with_name("Makefile")


def _readme_commands() -> list[list[str]]:
    """``billpay ...`` lines of the README's command block: the words up to the first option or placeholder."""
    out = []
    for line in README.read_text().splitlines():
        if not line.startswith("billpay "):
            continue
        words = []
        for word in shlex.split(line.split("#", 1)[0].replace("[", " ").replace("]", " ")):
            if word.startswith("-") or not re.fullmatch(r"[a-z_]+", word):
                break
            words.append(word)
        out.append(words[1:])
    return out


COMMANDS = _readme_commands()


def test_the_readme_lists_the_commands_a_user_runs():
    names = {c[0] for c in COMMANDS if c}
    assert {"serve", "worker", "demo", "db", "org", "extract", "status", "sandbox"} <= names, names
    assert "$(BIN)/billpay demo" in MAKEFILE.read_text()  # make run


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_each_readme_command_exists(words):
    result = CliRunner().invoke(cli_app, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "No such command" not in result.output


def test_demo_takes_the_options_the_readme_and_make_run_use():
    text = CliRunner().invoke(cli_app, ["demo", "--help"]).output
    assert "--platform" in text and "--port" in text and "--no-serve" in text
