"""CloudWatch Logs JSON filter patterns, evaluated as the CloudWatch Logs user guide
("Filter pattern syntax for JSON log events") describes them, for the subset the center's
alarms use: `{ ... }`, `$.a.b = value`, `!=`, `NOT EXISTS`, `&&`, `||`, parentheses, quoted or
bare strings and `*` wildcards. Anything else fails loudly, so a pattern the tests cannot
read is never taken as matching."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

_TOKEN = re.compile(r'\s*(?:(\{|\}|\(|\)|&&|\|\||!=|=)|(NOT EXISTS)|("(?:[^"\\]|\\.)*")|(\$\.[\w.\[\]]+)|([^\s(){}=!&|"]+))')


def _tokens(pattern: str) -> list[str]:
    tokens, position = [], 0
    pattern = pattern.strip()
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the filter pattern at {pattern[position:position + 20]!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


def _lookup(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path[2:].split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected!r}, got {token!r}")
        self.i += 1
        return token

    def parse_or(self):
        terms = [self.parse_and()]
        while self.peek() == "||":
            self.take()
            terms.append(self.parse_and())
        return lambda e: any(t(e) for t in terms)

    def parse_and(self):
        terms = [self.parse_term()]
        while self.peek() == "&&":
            self.take()
            terms.append(self.parse_term())
        return lambda e: all(t(e) for t in terms)

    def parse_term(self):
        if self.peek() == "(":
            self.take("(")
            inner = self.parse_or()
            self.take(")")
            return inner
        field = self.take()
        if not field.startswith("$."):
            raise ValueError(f"expected a $. field, got {field!r}")
        operator = self.take()
        if operator == "NOT EXISTS":
            return lambda e: _lookup(e, field) is None
        if operator not in ("=", "!="):
            raise ValueError(f"unsupported operator {operator!r}")
        raw = self.take()
        value = raw[1:-1] if raw.startswith('"') else raw

        def compare(event: dict[str, Any]) -> bool:
            actual = _lookup(event, field)
            hit = actual is not None and fnmatch.fnmatchcase(str(actual), value)
            return hit if operator == "=" else not hit
        return compare


def matches(pattern: str, event: dict[str, Any]) -> bool:
    parser = _Parser(_tokens(pattern))
    parser.take("{")
    predicate = parser.parse_or()
    parser.take("}")
    if parser.peek() is not None:
        raise ValueError(f"trailing tokens in the filter pattern: {parser.tokens[parser.i:]}")
    return predicate(event)
