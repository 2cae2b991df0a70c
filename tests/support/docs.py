"""Examples in the documentation, as a test runs them.

A fenced block whose info string names a file (```` ```yaml file=2026.yaml ````) is that file's content;
a ```` ```console ```` block holds ``$ zhenggai …`` commands, each followed by lines its output must
contain (``…`` stands for any text; a shown ``error:`` means the command must fail with exit code 1);
a ```` ```sh ```` block holds shell lines as a user types them: ``zhenggai …``, ``export NAME=value``, other
programs (``prefect``, ``curl``…), each line's comment left out, ``\\``-continued lines joined, ``a && b``
two commands, leading ``NAME=value`` words that command's environment.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.S | re.M)


@dataclass
class Command:
    """One command of a console or sh block and the output shown under it (console blocks only)."""

    argv: list[str]  # the program's arguments, without the program's name
    line: int
    expected: list[str] = field(default_factory=list)
    program: str = "zhenggai"
    env: dict[str, str] = field(default_factory=dict)  # NAME=value words in front of the program

    @property
    def fails(self) -> bool:
        return any(line.startswith("error:") for line in self.expected)

    def missing_from(self, output: str) -> list[str]:
        """The expected lines no output line matches (compared without surrounding spaces)."""
        got = [line.strip() for line in output.splitlines()]
        missing = []
        for want in self.expected:
            pattern = re.compile(".*".join(re.escape(part) for part in want.strip().split("…")) + "$")
            if not any(pattern.match(line) for line in got):
                missing.append(want)
        return missing


@dataclass
class DocExamples:
    files: dict[str, str]
    commands: list[Command]


def shell_commands(body: str, start: int) -> list[Command]:
    """The commands of a ``sh`` block whose first line is line ``start`` of its page."""
    commands: list[Command] = []
    lines = body.splitlines()
    offset = 0
    while offset < len(lines):
        first, line = offset, lines[offset]
        while line.endswith("\\") and offset + 1 < len(lines):
            offset += 1
            line = line[:-1] + " " + lines[offset]
        offset += 1
        words = shlex.split(line, comments=True)
        while words:
            end = words.index("&&") if "&&" in words else len(words)
            command, words = words[:end], words[end + 1 :]
            env = {}
            while command and ASSIGNMENT.match(command[0]) and len(command) > 1:
                name, _, value = command.pop(0).partition("=")
                env[name] = value
            commands.append(Command(command[1:], start + first, program=command[0], env=env))
    return commands


ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def doc_examples(path: Path) -> DocExamples:
    """The files and commands a Markdown page shows, in order."""
    text = path.read_text(encoding="utf-8")
    files: dict[str, str] = {}
    commands: list[Command] = []
    for block in FENCE.finditer(text):
        info, body = block["info"].strip(), block["body"]
        start = text.count("\n", 0, block.start()) + 2
        if (named := re.search(r"\bfile=(\S+)", info)) is not None:
            files[named[1]] = body
        elif info == "sh":
            commands.extend(shell_commands(body, start))
        elif info == "console":
            for offset, line in enumerate(body.splitlines()):
                if line.startswith("$ "):
                    argv = shlex.split(line[2:])
                    assert argv[0] == "zhenggai", f"{path}:{start + offset}: not a zhenggai command"
                    commands.append(Command(argv[1:], start + offset))
                elif commands and line.strip():
                    commands[-1].expected.append(line)
    return DocExamples(files, commands)


# Settings whose example values name another installation's hosts: the test's database and Prefect stand in.
STAND_INS = {"ZHENGGAI_DATABASE_URL", "PREFECT_API_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL"}
# zhenggai commands that serve until stopped: their options are parsed, then they stop at --help.
SERVERS = {"serve", "web", "api", "worker"}
# The server paths the examples write under, made inside the test's directory instead.
SERVER_PATHS = ("/srv/",)
LOGGING_ERROR = re.compile(r"^--- Logging error ---$.*?^Message: .*?$(\n^Arguments: .*?$)?", re.S | re.M)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class ExampleRun:
    """Runs the commands of a page in order in ``workdir``, as a user on this machine would.

    ``zhenggai`` runs in-process (``cli``); ``export`` sets the environment (but the stand-ins above);
    ``$TOKEN`` is the token the page's first ``token issue`` printed; paths under ``/srv/`` (a server's, in
    docs/deploying.md) are made inside ``workdir``; a command given its own ``ZHENGGAI_DATA_DIR`` gets that
    directory's default SQLite ledger, as it would without the test's URL. Programs that need another host,
    or a service this machine does not run, are checked as far as they can be here, each saying how in
    ``check_other``.
    """

    page: str
    cli: Callable[..., Any]
    workdir: Path
    monkeypatch: pytest.MonkeyPatch

    def run(self, commands: list[Command]) -> None:
        self.monkeypatch.chdir(self.workdir)
        for command in commands:
            where = f"{self.page}:{command.line}: {command.program} {shlex.join(command.argv)}"
            if command.program == "export":
                name, _, value = command.argv[0].partition("=")
                if name not in STAND_INS:
                    self.monkeypatch.setenv(name, os.path.expandvars(value))
            elif command.program == "zhenggai":
                self._zhenggai(command, where)
            else:
                self.check_other(command, where)

    def _argument(self, word: str) -> str:
        word = os.path.expandvars(word)
        for prefix in SERVER_PATHS:
            if word.startswith(prefix):
                (self.workdir / word.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
                return str(self.workdir / word.lstrip("/"))
        return word

    def _zhenggai(self, command: Command, where: str) -> None:
        argv = [self._argument(word) for word in command.argv]
        if argv and argv[0] in SERVERS:
            argv.append("--help")
        with self.monkeypatch.context() as scoped:
            for name, value in command.env.items():
                scoped.setenv(name, self._argument(value))
            if "ZHENGGAI_DATA_DIR" in command.env and "ZHENGGAI_DATABASE_URL" not in command.env:
                scoped.delenv("ZHENGGAI_DATABASE_URL")  # another data directory: its own default SQLite
            result = self.cli(*argv)
        assert result.exit_code == (1 if command.fails else 0), (
            f"{where}\n{result.output}{result.exception!r}"
        )
        # Prefect's console log handler keeps the stream of the first in-process invocation and reports
        # "--- Logging error ---" once a later one closed it: a test artifact (a user's process has one).
        shown = LOGGING_ERROR.sub("", result.output)
        assert "Traceback" not in shown, f"{where}\n{result.output}"
        missing = command.missing_from(result.output)
        assert not missing, f"{where}: not in the output: {missing}\n{result.output}"
        if argv[:2] == ["token", "issue"] and "--link" not in argv and "TOKEN" not in os.environ:
            self.monkeypatch.setenv("TOKEN", result.stdout.strip().splitlines()[-1])

    def check_other(self, command: Command, where: str) -> None:
        """A program other than zhenggai, checked as far as this machine allows."""
        program, argv = command.program, command.argv
        if program == "prefect":
            # Another host's Prefect server and workers: the options are parsed by Prefect's own CLI
            # (a wrong command or option fails), nothing runs. `prefect deploy --all` with prefect.yaml is
            # run for real by tests/e2e/test_serve_workers.py.
            from prefect.cli._app import _app

            _app.parse_args(argv, exit_on_error=False, print_error=False)
            if argv[:2] == ["work-pool", "create"]:  # the session's Prefect API stands in: made there
                self._prefect_on_harness(argv, where)
        elif program == "createdb":
            # PostgreSQL's client on the database host: the test's database (SQLite or PostgreSQL) stands in.
            assert len(argv) == 1, where
        elif program == "curl":
            self._curl(argv, where)
        elif program == "apt-get":
            # Debian's packages are installed by .ci/run (as root, on CI's machine): the page names those.
            ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
            for package in (
                word for word in argv if not word.startswith("-") and word not in ("update", "install")
            ):
                assert re.search(rf"\s{re.escape(package)}\s", ci), (
                    f"{where}: .ci/run does not install {package}"
                )
        elif program.startswith(".ci/") or program.startswith("bench/"):
            # Scripts of the repository that fetch or measure for minutes: present, executable, valid shell.
            script = ROOT / program
            assert script.is_file() and os.access(script, os.X_OK), f"{where}: no executable {program}"
            subprocess.run(["bash", "-n", str(script)], check=True)
        elif program in ("python", "python3") and argv[:1] == ["-m"] and argv[1] != "venv":
            # A module of the repository run as a script (a minute of browser and LibreOffice): its --help.
            done = subprocess.run(
                [sys.executable, "-m", *argv[1:], "--help"], cwd=ROOT, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{where}\n{done.stdout}{done.stderr}"
        elif program in ("python3", ".venv/bin/pip"):
            # The install every test run starts from (.ci/run makes the same venv).
            assert argv[:2] == ["-m", "venv"] or argv[:1] == ["install"], where
        else:
            raise AssertionError(f"{where}: no test knows how to run {program}")

    def _prefect_on_harness(self, argv: list[str], where: str) -> None:
        from prefect.settings import PREFECT_API_URL

        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", *argv], env=env, capture_output=True, text=True
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0 or "already exists" in output, f"{where}\n{output}"

    def _curl(self, argv: list[str], where: str) -> None:
        """curl against ``zhenggai web`` on a free loopback port (the example's port replaced)."""
        from tests.e2e.test_api_server import api_server

        with api_server(self.workdir, "web") as (base, log):
            words = [re.sub(r"^https?://127\.0\.0\.1:\d+", base, os.path.expandvars(word)) for word in argv]
            done = subprocess.run(
                ["curl", "-sS", "--fail-with-body", *words], cwd=self.workdir, capture_output=True, text=True
            )
        assert done.returncode == 0, f"{where}\n{done.stdout}{done.stderr}\n{log.read_text(errors='replace')}"
