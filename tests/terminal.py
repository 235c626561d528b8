"""Running the real program on a pseudo-terminal, for tests of prompts, colour and progress bars."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from typing import Literal

CTRL_C, CTRL_D = "\x03", "\x04"  # typed as they are, without Enter: interrupt, end of input


def run_at_terminal(
    args: list[str], answers: list[str], env: dict[str, str | None] | None = None, timeout: float = 30
) -> tuple[int, str]:
    """Run `ishop4u ARGS` on a pseudo-terminal, typing each answer when a prompt waits; (exit, screen).

    Each answer is followed by Enter, except CTRL_C and CTRL_D. An ENV value of None unsets that variable.
    """
    child_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execve(sys.executable, [sys.executable, "-m", "ishop4u_cli", *args], child_env)
    screen = b""
    pending = [a.encode() + (b"" if a in (CTRL_C, CTRL_D) else b"\n") for a in answers]
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


def run_with_terminal_on(
    stream: Literal["stdout", "stderr"],
    args: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 120,
    columns: int | None = None,
) -> tuple[int, str, str]:
    """Run `ishop4u ARGS` with only STREAM on a pseudo-terminal: stdin empty, the other stream a pipe.

    Returns (exit, what the terminal showed, what the pipe got). Both are read as they come, so
    neither can fill up and stall the program. COLUMNS sets the terminal's width (its window size).
    """
    leader, follower = pty.openpty()
    if columns is not None:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ishop4u_cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower if stream == "stdout" else subprocess.PIPE,
        stderr=follower if stream == "stderr" else subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    os.close(follower)  # ours: reading the leader ends (EIO) when the child's copy closes
    pipe = proc.stderr if stream == "stdout" else proc.stdout
    assert pipe is not None
    piped = pipe.fileno()
    received: dict[int, bytes] = {leader: b"", piped: b""}
    open_fds = set(received)
    deadline = time.monotonic() + timeout
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise AssertionError(f"timed out; the terminal so far: {received[leader]!r}")
            ready, _, _ = select.select(sorted(open_fds), [], [], left)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if chunk:
                    received[fd] += chunk
                else:
                    open_fds.discard(fd)
        code = proc.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(leader)
        pipe.close()
    screen = received[leader].decode("utf-8", "replace").replace("\r\n", "\n")
    return code, screen, received[piped].decode("utf-8", "replace")
