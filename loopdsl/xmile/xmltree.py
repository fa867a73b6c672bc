"""A small XML tree that remembers where each element starts (line, column).

ElementTree drops source positions, so XMILE files are read with
:mod:`xml.parsers.expat` directly. Entity declarations (and so external
entities and entity-expansion bombs) are refused; nothing is ever fetched.

>>> root = parse_xml('<a xmlns="urn:x">\\n  <b k="1">text</b>\\n</a>')
>>> b = root.children[0]
>>> (b.tag, b.attrib, b.text, b.line, b.column)
('b', {'k': '1'}, 'text', 2, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator
from xml.parsers import expat

from loopdsl.errors import LoopError, Source

# Namespaces whose elements are XMILE proper; elements in any other namespace
# are vendor extensions (Stella's isee:, our loopdsl:, ...).
XMILE_NAMESPACES = frozenset({
    "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0",
    "http://www.systemdynamics.org/XMILE",
    "",
})


@dataclass
class XNode:
    """One element: local tag name, namespace URI, attributes, text and children."""

    tag: str
    ns: str
    attrib: dict[str, str]
    line: int
    column: int
    children: list["XNode"] = field(default_factory=list)
    text: str = ""
    text_line: int = 0
    text_column: int = 0
    # First child by tag (standard ones) and by (namespace, tag), built on the first
    # lookup: readers ask each element for several children. Reset it (None) after
    # changing ``children`` of an element already searched.
    _index: "tuple[dict[str, XNode], dict[tuple[str, str], XNode]] | None" = field(
        default=None, repr=False, compare=False)

    @property
    def standard(self) -> bool:
        """True for an element of the XMILE namespace (or of none)."""
        return self.ns in XMILE_NAMESPACES

    def _children_by_tag(self) -> "tuple[dict[str, XNode], dict[tuple[str, str], XNode]]":
        if self._index is None:
            standard: dict[str, XNode] = {}
            qualified: dict[tuple[str, str], XNode] = {}
            for child in reversed(self.children):  # so the first one wins
                if child.ns in XMILE_NAMESPACES:
                    standard[child.tag] = child
                qualified[child.ns, child.tag] = child
            self._index = (standard, qualified)
        return self._index

    def find(self, tag: str) -> "XNode | None":
        """The first standard child element with this tag."""
        return self._children_by_tag()[0].get(tag)

    def find_ns(self, ns: str, tag: str) -> "XNode | None":
        """The first child element with this namespace URI and tag.

        >>> parse_xml('<a xmlns:x="urn:x"><x:b/><b/></a>').find_ns("urn:x", "b").ns
        'urn:x'
        """
        return self._children_by_tag()[1].get((ns, tag))

    def findall(self, tag: str) -> list["XNode"]:
        """Every standard child element with this tag."""
        return [c for c in self.children if c.tag == tag and c.standard]

    def iter(self) -> Iterator["XNode"]:
        """This element and every descendant, in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def _split(name: str, scopes: list[dict[str, str]]) -> tuple[str, str]:
    """'prefix:local' -> (namespace URI, local name), resolved in the open scopes.

    Namespaces are resolved here rather than by expat, so that a vendor prefix
    used without its declaration (as some Vensim-converted files do with
    ``isee:``) is read as a namespace of its own instead of failing the file.
    """
    prefix, _, local = name.rpartition(":")
    for scope in reversed(scopes):
        if prefix in scope:
            return scope[prefix], local
    return (prefix, local) if prefix else ("", local)


def parse_xml(text: str, file: str = "<string>") -> XNode:
    """Parse XML text into an :class:`XNode` tree; a LoopError with line and column on bad XML."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    source = Source(text, file)
    stack: list[XNode] = []
    root: list[XNode] = []
    texts: list[list[str]] = []
    scopes: list[dict[str, str]] = []

    def refuse(*_args: object) -> None:
        raise LoopError([source.diagnostic(
            "XML entity declarations are not allowed in a model file",
            parser.CurrentLineNumber, parser.CurrentColumnNumber + 1,
            "remove the <!ENTITY ...> declaration")])

    split_cache: dict[tuple[str, int], tuple[str, str]] = {}  # valid while no xmlns is open

    def start(name: str, attrs: dict[str, str]) -> None:
        scope = {}
        plain = True  # no namespace declaration and no prefixed attribute
        for key, value in attrs.items():
            if key == "xmlns":
                scope[""] = value
            elif key.startswith("xmlns:"):
                scope[key[6:]] = value
            if ":" in key or key == "xmlns":
                plain = False
        if scope:
            split_cache.clear()  # a new declaration may rebind a prefix below here
        scopes.append(scope)
        cache_key = (name, len(scopes))
        found = split_cache.get(cache_key)
        if found is None:
            found = split_cache[cache_key] = _split(name, scopes)
        uri, local = found
        attrib = attrs if plain else {k.rpartition(":")[2]: v for k, v in attrs.items()
                                      if k != "xmlns" and not k.startswith("xmlns:")}
        node = XNode(local, uri, attrib, parser.CurrentLineNumber,
                     parser.CurrentColumnNumber + 1)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(_name: str) -> None:
        node = stack.pop()
        if scopes.pop():
            split_cache.clear()  # its prefixes go out of scope
        node.text = "".join(texts.pop())

    def data(chunk: str) -> None:
        if stack:
            node = stack[-1]
            if not texts[-1] and not node.text_line:
                node.text_line = parser.CurrentLineNumber
                node.text_column = parser.CurrentColumnNumber + 1
            texts[-1].append(chunk)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = lambda *a: 0  # never fetch anything
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        line = exc.lineno
        column = exc.offset + 1
        message = expat.errors.messages.get(exc.code, str(exc)) if hasattr(exc, "code") \
            else str(exc)
        raise LoopError([source.diagnostic(f"invalid XML: {message}", line, column)]) from None
    if not root:  # pragma: no cover - expat reports 'no element found' first
        raise LoopError([source.diagnostic("the file has no XML element", 1, 1)])
    return root[0]
