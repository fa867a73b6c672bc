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

from collections.abc import Iterator
from xml.parsers import expat

from loopdsl.errors import LoopError, Source

# Namespaces whose elements are XMILE proper; elements in any other namespace
# are vendor extensions (Stella's isee:, our loopdsl:, ...).
XMILE_NAMESPACES = frozenset({
    "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0",
    "http://www.systemdynamics.org/XMILE",
    "",
})

_NO_CHILDREN: tuple[()] = ()


class XNode:
    """One element: local tag name, namespace URI, attributes, text and children."""

    __slots__ = ("tag", "ns", "attrib", "line", "column", "children", "text", "text_line",
                 "text_column", "foreign", "_index", "_qualified")
    tag: str
    ns: str
    attrib: dict[str, str]
    line: int
    column: int
    # A list once the element has a child; until then one shared empty tuple (most
    # elements of a model are leaves: <eqn>, <inflow>, ...).
    children: list[XNode] | tuple[()]
    text: str
    text_line: int
    text_column: int
    # True once a child element outside the XMILE namespaces is added (a vendor
    # extension): find_ns() needs no index for an element without one.
    foreign: bool
    # First child by tag (standard ones), built on the first lookup: readers ask each
    # element for several children; and by (namespace, tag), built on the first find_ns()
    # that needs it (most elements have none but XMILE children). Reset both (None) after
    # changing ``children`` of an element already searched.
    _index: dict[str, XNode] | None
    _qualified: dict[tuple[str, str], XNode] | None

    def __init__(self, tag: str, ns: str, attrib: dict[str, str], line: int, column: int,
                 children: list[XNode] | None = None, text: str = "", text_line: int = 0,
                 text_column: int = 0) -> None:
        self.tag = tag
        self.ns = ns
        self.attrib = attrib
        self.line = line
        self.column = column
        self.children = _NO_CHILDREN if children is None else children
        self.text = text
        self.text_line = text_line
        self.text_column = text_column
        self.foreign = children is not None and any(c.ns not in XMILE_NAMESPACES
                                                    for c in children)
        self._index = None
        self._qualified = None

    def __repr__(self) -> str:
        return (f"XNode(tag={self.tag!r}, ns={self.ns!r}, attrib={self.attrib!r}, "
                f"line={self.line}, column={self.column}, children={len(self.children)})")

    @property
    def standard(self) -> bool:
        """True for an element of the XMILE namespace (or of none)."""
        return self.ns in XMILE_NAMESPACES

    def _children_by_tag(self) -> dict[str, XNode]:
        if self._index is None:
            standard: dict[str, XNode] = {}
            for child in reversed(self.children):  # so the first one wins
                if child.ns in XMILE_NAMESPACES:
                    standard[child.tag] = child
            self._index = standard
        return self._index

    def standard_children(self) -> dict[str, XNode]:
        """The first standard child element of each tag, by tag."""
        index = self._index
        return index if index is not None else self._children_by_tag()

    def find(self, tag: str) -> XNode | None:
        """The first standard child element with this tag."""
        index = self._index
        return (index if index is not None else self._children_by_tag()).get(tag)

    def find_ns(self, ns: str, tag: str) -> XNode | None:
        """The first child element with this namespace URI and tag.

        >>> parse_xml('<a xmlns:x="urn:x"><x:b/><b/></a>').find_ns("urn:x", "b").ns
        'urn:x'
        """
        if not self.foreign and ns not in XMILE_NAMESPACES:
            return None  # no child element outside the XMILE namespaces
        if self._qualified is None:
            qualified: dict[tuple[str, str], XNode] = {}
            for child in reversed(self.children):  # so the first one wins
                qualified[child.ns, child.tag] = child
            self._qualified = qualified
        return self._qualified.get((ns, tag))

    def findall(self, tag: str) -> list[XNode]:
        """Every standard child element with this tag."""
        return [c for c in self.children if c.tag == tag and c.ns in XMILE_NAMESPACES]

    def iter(self) -> Iterator[XNode]:
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
    # Open elements that declare namespaces, with their declarations (prefix -> URI).
    declared: list[tuple[XNode, dict[str, str]]] = []

    def refuse(*_args: object) -> None:
        raise LoopError([source.diagnostic(
            "XML entity declarations are not allowed in a model file",
            parser.CurrentLineNumber, parser.CurrentColumnNumber + 1,
            "remove the <!ENTITY ...> declaration")])

    split_cache: dict[str, tuple[str, str]] = {}  # tag -> (uri, local) in the open scopes

    def start(name: str, attrs: dict[str, str]) -> None:
        scope = None
        if attrs and ("xmlns" in attrs or ":" in "".join(attrs)):
            # namespace declarations or prefixed attributes: the general path
            scope = {}
            for key, value in attrs.items():
                if key == "xmlns":
                    scope[""] = value
                elif key.startswith("xmlns:"):
                    scope[key[6:]] = value
            if scope:
                split_cache.clear()  # a new declaration may rebind a prefix below here
            attrs = {k.rpartition(":")[2]: v for k, v in attrs.items()
                     if k != "xmlns" and not k.startswith("xmlns:")}
        found = split_cache.get(name)
        if found is None:
            scopes = [s for _, s in declared] + ([scope] if scope else [])
            found = split_cache[name] = _split(name, scopes)
        node = XNode(found[1], found[0], attrs, parser.CurrentLineNumber,
                     parser.CurrentColumnNumber + 1)
        if scope:
            declared.append((node, scope))
        if stack:
            parent = stack[-1]
            siblings = parent.children
            if siblings:
                siblings.append(node)
            else:
                parent.children = [node]
            if found[0] not in XMILE_NAMESPACES:
                parent.foreign = True
        else:
            root.append(node)
        stack.append(node)

    # An open element's text is "" (none yet), its first chunk (a str: a leaf's usual
    # text) or a list of chunks, joined when it closes.
    def end(_name: str) -> None:
        node = stack.pop()
        if declared and declared[-1][0] is node:
            declared.pop()
            split_cache.clear()  # its prefixes go out of scope
        if node.text.__class__ is list:
            node.text = "".join(node.text)

    def data(chunk: str) -> None:
        if stack:
            node = stack[-1]
            text = node.text
            if not text:
                node.text = chunk
                if not node.text_line:
                    node.text_line = parser.CurrentLineNumber
                    node.text_column = parser.CurrentColumnNumber + 1
            elif text.__class__ is list:
                text.append(chunk)
            else:
                node.text = [text, chunk]  # type: ignore[assignment]  # str again at end()

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
    finally:
        _detach(parser)
    if not root:  # pragma: no cover - expat reports 'no element found' first
        raise LoopError([source.diagnostic("the file has no XML element", 1, 1)])
    return root[0]


def _detach(parser: expat.XMLParserType) -> None:
    """Drop the handlers: they and the parser refer to each other (a reference cycle that
    would keep the whole tree alive until the cycle collector runs)."""
    parser.StartElementHandler = parser.EndElementHandler = None
    parser.CharacterDataHandler = parser.EntityDeclHandler = None
    parser.ExternalEntityRefHandler = None
