"""Examples in the documentation, as a test runs them.

A fenced block whose info string names a file (```` ```yaml file=2026.yaml ````) is that file's content;
a ```` ```console ```` block holds ``$ zhenggai …`` commands, each followed by lines its output must
contain (``…`` stands for any text; a shown ``error:`` means the command must fail with exit code 1).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.S | re.M)


@dataclass
class Command:
    """One ``$ zhenggai …`` line of a console block and the output shown under it."""

    argv: list[str]
    line: int
    expected: list[str] = field(default_factory=list)

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
        elif info == "console":
            for offset, line in enumerate(body.splitlines()):
                if line.startswith("$ "):
                    argv = shlex.split(line[2:])
                    assert argv[0] == "zhenggai", f"{path}:{start + offset}: not a zhenggai command"
                    commands.append(Command(argv[1:], start + offset))
                elif commands and line.strip():
                    commands[-1].expected.append(line)
    return DocExamples(files, commands)
