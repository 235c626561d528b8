"""The file (or stdin) an import reads: UTF-8 text streamed, with its size for progress and a
second reading when a retried transaction needs one.

Only a regular file or stdin is read (not /dev/zero, a FIFO or a socket), line by line, and no
line may be longer than MAX_LINE_CHARS: a file that never ends, or never ends a line, is
refused after a bounded read instead of filling the memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ishop4u_cli.errors import NotFound, UsageError

Progress = Callable[[int, int], None]  # (bytes read so far, rows read so far)

# A compact one-line `cart list --json` of a 10,000-item cart is about 4 million characters.
MAX_LINE_CHARS = 8 * 1024 * 1024


class Lines:
    """An Input's text, line by line (line endings kept); UsageError for an over-long line."""

    def __init__(self, source: Input) -> None:
        self._source = source
        self.number = 0

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = self._source._text.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > MAX_LINE_CHARS:
            raise UsageError(
                f"{self._source.name}: line {self.number} is longer than {MAX_LINE_CHARS:,} characters:"
                " not a file to import"
            )
        return line


class Input:
    """A file (or stdin) opened for an import: UTF-8 text (a BOM is dropped), read as a stream."""

    def __init__(self, name: str, raw: IO[bytes], *, owned: bool) -> None:
        self.name = name
        self._raw = raw
        self._owned = owned
        self.size: int | None = None
        self.seekable = False
        try:
            info = os.fstat(raw.fileno())
            if stat.S_ISREG(info.st_mode):
                self.size = info.st_size
                self.seekable = raw.seekable()
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # a pipe, or an in-memory stream (tests): no size, no second reading
        self._start = raw.tell() if self.seekable else 0
        self._text = self._wrap()

    def _wrap(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]

    @property
    def text(self) -> Lines:
        """The text from where it is now, line by line, each line at most MAX_LINE_CHARS long."""
        return Lines(self)

    def position(self) -> int:
        """Bytes read so far (what the decoder has taken from the file)."""
        try:
            return self._raw.tell() - self._start if self.seekable else 0
        except (OSError, ValueError):
            return 0

    def rewind(self) -> None:
        """Start again from the beginning (for a retried transaction); only when seekable."""
        if not self.seekable:
            raise UsageError(f"cannot read {self.name} a second time")
        self._text.detach()
        self._raw.seek(self._start)
        self._text = self._wrap()

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._text.detach()  # never close stdin's buffer
        if self._owned:
            self._raw.close()


def _open_regular_file(path: str) -> IO[bytes]:
    """PATH opened for reading when it is a regular file (symlinks followed); errors say why not.

    Opened without blocking, so that a FIFO nobody writes to is refused rather than waited on.
    """
    file = Path(path).expanduser()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(file, flags)
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a file to import") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise UsageError(f"{path} is a directory, not a file to import")
        raise UsageError(
            f"{path} is not a regular file (a device, pipe or socket): import reads files, or stdin with -"
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


@contextmanager
def open_input(path: str) -> Iterator[Input]:
    """PATH opened for reading, or stdin for '-'; NotFound (exit 3) when there is no such file."""
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # pragma: no cover - a text-only stdin
            raw = io.BytesIO(sys.stdin.read().encode("utf-8"))
        source = Input("stdin", raw, owned=False)
    else:
        source = Input(path, _open_regular_file(path), owned=True)
    try:
        yield source
    finally:
        source.close()
