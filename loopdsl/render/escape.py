"""Making any label safe inside DOT, Graphviz HTML-like labels and Mermaid.

Every label of a diagram goes through one of these functions; nothing from a
model is ever written into DOT or Mermaid text in any other way. DOT labels
are Graphviz HTML-like labels (``<...>``), in which quotes and braces mean
nothing: ``& < > " '`` become XML entities and backslashes are doubled.

>>> html_text('a < b & "c" \\\\N')
'a &lt; b &amp; &quot;c&quot; \\\\\\\\N'
>>> html_label("two\\nlines")
'<two<BR/>lines>'
>>> mermaid_text('say "hi" #1 <b>')
'say #quot;hi#quot; #35;1 #lt;b#gt;'
"""

from __future__ import annotations

import re
import textwrap

# XML 1.0 forbids these characters; Graphviz's HTML parser (expat) rejects them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def clean(text: str) -> str:
    """Drop the control characters that no XML (and so no SVG) may contain.

    >>> clean("a\\x00b\\tc")
    'ab\\tc'
    """
    return _CONTROL.sub("", text)


def html_text(text: str) -> str:
    """Text as the content of a Graphviz HTML-like label (one line, entities only).

    Graphviz expands ``\\N`` (node name), ``\\G`` (graph name) and friends even in
    HTML-like labels, and reads ``\\\\`` as one backslash: so backslashes are doubled.
    """
    text = clean(text)
    return (text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")
            .replace("\t", " "))


def wrap(text: str, width: int = 18) -> list[str]:
    """A label's lines: the author's own newlines, and long lines wrapped at spaces.

    >>> wrap("Customer experience and delight", 18)
    ['Customer', 'experience and', 'delight']
    """
    lines: list[str] = []
    for line in _NEWLINE.split(text):
        if len(line) > width and " " in line.strip():
            lines.extend(textwrap.wrap(line, width, break_long_words=False,
                                       break_on_hyphens=False) or [""])
        else:
            lines.append(line)
    return lines


def html_lines(text: str, width: int | None = None) -> str:
    """Escaped text with line breaks as ``<BR/>``, for use inside an HTML-like label."""
    lines = wrap(text, width) if width else _NEWLINE.split(text)
    return "<BR/>".join(html_text(line) for line in lines)


def html_label(text: str, width: int | None = None) -> str:
    """A whole DOT HTML-like label (``<...>``) showing exactly ``text``."""
    return f"<{html_lines(text, width)}>"


# Mermaid: inside "..." text, entity codes (#quot; #35; ...) stand for characters.
_MERMAID_NAMED = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_MERMAID_CODED = set("#\\`|[]{}();%")


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label; newlines become ``<br>``."""
    out: list[str] = []
    lines = _NEWLINE.split(clean(text))
    for i, line in enumerate(lines):
        if i:
            out.append("<br>")
        for ch in line:
            if ch in _MERMAID_NAMED:
                out.append(_MERMAID_NAMED[ch])
            elif ch in _MERMAID_CODED:
                out.append(f"#{ord(ch)};")
            elif ch == "\t":
                out.append(" ")
            else:
                out.append(ch)
    return "".join(out)
