"""Where the demo's lines come from: a person at a terminal, or a script replayed."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from typing import Protocol, TextIO


class Inputs(Protocol):
    async def ask(self, prompt: str) -> str | None:
        """The next line typed after `prompt`, or None when there is no more input."""
        ...

    def where(self) -> str | None:
        """Where the last line came from, for a script (which stops at a line that failed)."""
        ...


class ScriptInputs:
    """Replays a file's lines as if typed, echoing each after its prompt (the transcript)."""

    def __init__(self, text: str, out: TextIO) -> None:
        self._lines: Iterator[tuple[int, str]] = (
            (number, line)
            for number, line in enumerate(text.splitlines(), start=1)
            if not line.lstrip().startswith("#")
        )
        self._out = out
        self._number = 0

    async def ask(self, prompt: str) -> str | None:
        self._number, line = next(self._lines, (self._number, None))
        if line is not None:
            print(f"{prompt}{line}", file=self._out)
        return line

    def where(self) -> str | None:
        return f"line {self._number}"


class TerminalInputs:
    """Lines from a person, read on a daemon thread so the app keeps running meanwhile."""

    def __init__(self, inp: TextIO, out: TextIO) -> None:
        self._out = out
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in inp:
                loop.call_soon_threadsafe(self._lines.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self._lines.put_nowait, None)

        # A daemon thread, so leaving is not held up by a read that never returns.
        threading.Thread(target=pump, name="demo-input", daemon=True).start()
        # The sandbox's uvicorn servers each took SIGINT for themselves; Ctrl-C means leave.
        loop.add_signal_handler(signal.SIGINT, self._lines.put_nowait, None)

    def where(self) -> str | None:
        return None  # a person sees what failed and types again

    async def ask(self, prompt: str) -> str | None:
        print(prompt, end="", file=self._out, flush=True)
        line = await self._lines.get()
        if line is None:
            print(file=self._out)  # end of input: the shell's prompt starts on its own line
        return line
