"""Reading model sources and writing outputs atomically.

An output file is written to a temporary file beside it and renamed into
place, so a failure never leaves half a file and never touches the source.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
>>> atomic_write(target, "hello")
>>> target.read_text()
'hello'
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from loopdsl.errors import LoopError
from loopdsl.loader import decode, load, loads, read_text
from loopdsl.model import Model


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write data to path all at once: a temporary file in the same folder, then a rename."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LoopError(f"{path}: error: the folder {folder} does not exist")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_source(path: str) -> tuple[str, str]:
    """(text, display name) of a model source; '-' is standard input."""
    if path == "-":
        return decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"
    return read_text(path), path


def load_source(path: str) -> Model:
    """Load a model from a path ('.loop', '.xmile', '.stmx') or '-' for standard input."""
    if path == "-":
        text, name = read_source(path)
        if text.lstrip().startswith("<"):
            from loopdsl.xmile import loads_xmile

            return loads_xmile(text, name)
        return loads(text, name)
    return load(path)
