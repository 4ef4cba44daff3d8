"""A small XML tree with line numbers (expat), for SSDA903 and CIN census XML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = ["Node", "XMLDoctypeError", "XMLParseError", "parse_xml"]


class XMLParseError(ValueError):
    def __init__(self, msg: str, line: int | None) -> None:
        super().__init__(msg)
        self.line = line


class XMLDoctypeError(XMLParseError):
    """The file declares a DOCTYPE: no SSDA903 or CIN file needs one, and entity
    declarations are how XML bombs work, so it is refused before any is expanded."""


@dataclass
class Node:
    tag: str
    line: int
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    @property
    def key(self) -> str:
        """The tag without namespace, upper-cased."""
        return self.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].upper()

    def is_leaf(self) -> bool:
        return not self.children

    def iter(self) -> Iterator[Node]:
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def find(self, key: str) -> Node | None:
        key = key.upper()
        for c in self.children:
            if c.key == key:
                return c
        return None

    def findall_deep(self, key: str) -> list[Node]:
        key = key.upper()
        return [n for n in self.iter() if n.key == key]

    def leaf_text(self, key: str) -> str | None:
        c = self.find(key)
        if c is None or not c.is_leaf():
            return None
        t = c.text.strip()
        return t or None

    def leaves(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in self.children:
            if c.is_leaf():
                out.setdefault(c.key, c.text.strip())
        return out


def parse_xml(data: bytes) -> Node:
    """Parse XML bytes into a Node tree; raises XMLParseError with the line."""
    p = expat.ParserCreate()
    root: list[Node] = []
    stack: list[Node] = []
    texts: list[list[str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        n = Node(tag, p.CurrentLineNumber, attrs)
        if stack:
            stack[-1].children.append(n)
        else:
            root.append(n)
        stack.append(n)
        texts.append([])

    def end(tag: str) -> None:
        n = stack.pop()
        n.text = "".join(texts.pop())

    def chars(s: str) -> None:
        if texts:
            texts[-1].append(s)

    def doctype(name: str, *_: object) -> None:
        raise XMLDoctypeError(
            f"XML with a DOCTYPE (<!DOCTYPE {name}>) is refused: no SSDA903 or CIN return has one",
            p.CurrentLineNumber,
        )

    p.StartDoctypeDeclHandler = doctype
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    try:
        p.Parse(data, True)
    except expat.ExpatError as e:
        raise XMLParseError(f"XML parse error: {expat.ErrorString(e.code)}", e.lineno) from e
    if not root:
        raise XMLParseError("XML has no root element", None)
    return root[0]
