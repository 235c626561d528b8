"""The file (or stdin) an import reads: UTF-8 text streamed, with its size for progress and a
second reading when a retried transaction needs one."""

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
    def text(self) -> io.TextIOWrapper:
        return self._text

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


@contextmanager
def open_input(path: str) -> Iterator[Input]:
    """PATH opened for reading, or stdin for '-'; NotFound (exit 3) when there is no such file."""
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # pragma: no cover - a text-only stdin
            raw = io.BytesIO(sys.stdin.read().encode("utf-8"))
        source = Input("stdin", raw, owned=False)
    else:
        file = Path(path).expanduser()
        try:
            raw = open(file, "rb")  # noqa: SIM115 - closed by Input.close
        except FileNotFoundError:
            raise NotFound(f"no such file: {path}") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory, not a file to import") from None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        source = Input(path, raw, owned=True)
    try:
        yield source
    finally:
        source.close()
