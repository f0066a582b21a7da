"""Just enough HCL reading for the module's own checks, with the standard library only.

The checks run where nothing but Terraform and Python are installed, so no HCL
package is used. This reader splits a body into attributes (name and raw
expression text) and blocks (type, labels, body), skipping strings, templates,
heredocs and comments correctly. It does not evaluate expressions; callers look
at the raw text, or decode it when it is a plain literal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")


class HclError(ValueError):
    """The text is not HCL this reader understands."""


@dataclass
class Attribute:
    name: str
    expr: str
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: "Body"
    line: int


@dataclass
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, type_: str, *labels: str) -> list[Block]:
        return [
            b for b in self.blocks if b.type == type_ and b.labels[: len(labels)] == list(labels)
        ]


def _skip_comment(s: str, i: int) -> int:
    if s.startswith("#", i) or s.startswith("//", i):
        end = s.find("\n", i)
        return len(s) if end < 0 else end
    if s.startswith("/*", i):
        end = s.find("*/", i + 2)
        if end < 0:
            raise HclError("unterminated /* comment")
        return end + 2
    return i


def _skip_string(s: str, i: int) -> int:
    """i is at the opening quote; returns the index after the closing one."""
    i += 1
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif s.startswith("${", i) or s.startswith("%{", i):
            i = _skip_group(s, i + 1, "{", "}")
        elif c == "\n":
            raise HclError("newline in a quoted string")
        else:
            i += 1
    raise HclError("unterminated string")


def _skip_heredoc(s: str, i: int) -> int:
    m = HEREDOC.match(s, i)
    if not m:
        return -1
    marker = m.group(2)
    pos = m.end()
    while pos <= len(s):
        end = s.find("\n", pos)
        line = s[pos:] if end < 0 else s[pos:end]
        if line.strip() == marker:
            return len(s) if end < 0 else end
        if end < 0:
            break
        pos = end + 1
    raise HclError(f"unterminated heredoc {marker}")


def _skip_group(s: str, i: int, open_: str, close: str) -> int:
    """i is at an opening bracket; returns the index after its match."""
    depth = 0
    while i < len(s):
        j = _skip_comment(s, i)
        if j != i:
            i = j
            continue
        c = s[i]
        if c == '"':
            i = _skip_string(s, i)
            continue
        if s.startswith("<<", i):
            end = _skip_heredoc(s, i)
            if end >= 0:
                i = end
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                if c != close:
                    raise HclError(f"expected {close!r}, found {c!r}")
                return i + 1
        i += 1
    raise HclError(f"unmatched {open_!r}")


def _expr_end(s: str, i: int, end: int, stop_at_comma: bool) -> int:
    """Returns the end of the expression starting at i: a newline (or, in an
    object constructor, a comma) outside brackets, or the end of the body."""
    while i < end:
        if stop_at_comma and s[i] == ",":
            return i
        if s.startswith("#", i) or s.startswith("//", i):
            return i
        j = _skip_comment(s, i)
        if j != i:
            i = j
            continue
        c = s[i]
        if c == "\n":
            return i
        if c == '"':
            i = _skip_string(s, i)
        elif s.startswith("<<", i) and _skip_heredoc(s, i) >= 0:
            i = _skip_heredoc(s, i)
        elif c in "([{":
            i = _skip_group(s, i, c, {"(": ")", "[": "]", "{": "}"}[c])
        else:
            i += 1
    return i


def parse(text: str) -> Body:
    """Parses a whole file (or a block's inner text) into a Body."""
    return _parse_body(text, 0, len(text), 1, False)


def _parse_body(s: str, start: int, end: int, line0: int, in_object: bool) -> Body:
    body = Body()
    i = start
    while i < end:
        j = _skip_comment(s, i)
        if j != i:
            i = j
            continue
        if s[i] in " \t\r\n,":
            i += 1
            continue
        line = line0 + s.count("\n", start, i)
        if in_object and s[i] == '"':
            k = _skip_string(s, i)
            name = json.loads(s[i:k])
            i = k
        else:
            m = IDENT.match(s, i)
            if not m:
                raise HclError(f"line {line}: unexpected {s[i]!r}")
            name = m.group(0)
            i = m.end()
        while i < end and s[i] in " \t":
            i += 1
        if (s.startswith("=", i) and not s.startswith("==", i)) or (in_object and s[i] == ":"):
            e = _expr_end(s, i + 1, end, in_object)
            body.attributes[name] = Attribute(name, s[i + 1 : e].strip(), line)
            i = e
            continue
        if in_object:
            raise HclError(f"line {line}: expected '=' after {name!r}")
        labels = []
        while i < end and s[i] != "{":
            if s[i] == '"':
                k = _skip_string(s, i)
                labels.append(json.loads(s[i:k]))
                i = k
            elif s[i] in " \t":
                i += 1
            else:
                lm = IDENT.match(s, i)
                if not lm:
                    raise HclError(f"line {line}: bad block header for {name!r}")
                labels.append(lm.group(0))
                i = lm.end()
        close = _skip_group(s, i, "{", "}")
        inner = _parse_body(s, i + 1, close - 1, line0 + s.count("\n", start, i + 1), False)
        body.blocks.append(Block(name, labels, inner, line))
        i = close
    return body


def object_keys(expr: str) -> list[str]:
    """Top-level keys of an object constructor `{ k = v ... }`, in order."""
    expr = expr.strip()
    if not (expr.startswith("{") and expr.endswith("}")):
        raise HclError("not an object constructor")
    return list(object_items(expr))


def object_items(expr: str) -> dict[str, str]:
    """Top-level keys of an object constructor with their raw value text."""
    expr = expr.strip()
    if not (expr.startswith("{") and expr.endswith("}")):
        raise HclError("not an object constructor")
    body = _parse_body(expr, 1, len(expr) - 1, 1, True)
    return {k: a.expr for k, a in body.attributes.items()}


def string_list(expr: str) -> list[str]:
    """Decodes a list of plain string literals, like `["a", "b"]`."""
    try:
        value = json.loads(re.sub(r",\s*]$", "]", expr.strip()))
    except json.JSONDecodeError as err:
        raise HclError(f"not a list of plain strings: {expr}") from err
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HclError(f"not a list of plain strings: {expr}")
    return value
