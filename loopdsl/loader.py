"""The whole front end in one call: text -> parse tree -> model -> normalised model ->
checked model.

>>> m = loads("experience -> traffic -> sellers -> selection -> experience")
>>> m.node_ids
['experience', 'traffic', 'sellers', 'selection']
"""

from __future__ import annotations

from pathlib import Path

from loopdsl.checker import check
from loopdsl.compiler import build_model_collecting
from loopdsl.errors import Diagnostic, LoopError, Source
from loopdsl.model import Model
from loopdsl.normalize import normalize
from loopdsl.parser import parse
from loopdsl.tuning import gc_paused


def loads(text: str, file: str = "<string>") -> Model:
    """Compile .loop text into a checked model; raise LoopError listing every problem."""
    source = Source(text, file)
    with gc_paused():
        tree, comments = parse(text, file)
        model, problems = build_model_collecting(tree, comments, source)
        model.source = file
        problems += check(normalize(model), source)
    if problems:
        problems.sort(key=lambda d: (d.line or 0, d.column or 0))
        raise LoopError(problems)
    return model


def read_text(path: str | Path) -> str:
    """A model file's text as UTF-8 (a LoopError, never a traceback, when it is not)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoopError([Diagnostic("no such file", str(path))]) from None
    except IsADirectoryError:
        raise LoopError([Diagnostic("is a directory, not a model file", str(path))]) from None
    except OSError as exc:
        raise LoopError([Diagnostic(f"cannot read: {exc.strerror}", str(path))]) from None
    return decode(data, str(path))


def decode(data: bytes, file: str = "<string>") -> str:
    """Model text from bytes: UTF-8 (with or without BOM), no NUL; else a LoopError.

    >>> decode(b"a -> b")
    'a -> b'
    >>> try:
    ...     decode("node a 'café'".encode("latin-1"), "m.loop")
    ... except LoopError as err:
    ...     print(err.first.line, err.first.column, err.first.message)
    1 12 the file is not UTF-8 text
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data[:start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        shown = Source(data.decode("utf-8", "replace"), file)
        raise LoopError([shown.diagnostic("the file is not UTF-8 text", line, column,
                                          "save it as UTF-8")]) from None
    if "\x00" in text:
        pos = text.index("\x00")
        line = text.count("\n", 0, pos) + 1
        raise LoopError([Source(text, file).diagnostic(
            "the file contains a NUL byte: it is binary, not a model", line,
            pos - (text.rfind("\n", 0, pos) + 1) + 1)]) from None
    return text


def load(path: str | Path) -> Model:
    """Compile a .loop file (or, by its extension, an XMILE/.stmx file) into a model."""
    path = Path(path)
    if path.suffix.lower() in (".xmile", ".stmx", ".xml"):
        from loopdsl.xmile import load_xmile  # written with the XMILE issue

        return load_xmile(path)
    return loads(read_text(path), str(path))
