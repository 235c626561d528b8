"""Running the real program on a pseudo-terminal, for tests of prompts and colour."""

from __future__ import annotations

import os
import pty
import select
import sys
import time


def run_at_terminal(
    args: list[str], answers: list[str], env: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, str]:
    """Run `ishop4u ARGS` on a pseudo-terminal, typing each answer when a prompt waits; (exit, screen)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execve(sys.executable, [sys.executable, "-m", "ishop4u_cli", *args], {**os.environ, **(env or {})})
    screen = b""
    pending = [a.encode() + b"\n" for a in answers]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.3)
            if ready:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif pending and screen.endswith(b": "):  # quiet, and a prompt is waiting
                os.write(fd, pending.pop(0))
        else:
            os.kill(pid, 9)
            raise AssertionError(f"timed out; the screen so far: {screen!r}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode().replace("\r\n", "\n")
