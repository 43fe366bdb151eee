"""The names a file brings into libxml2's dictionary: bounded, or the file is refused.

libxml2 interns every distinct element name, attribute name, prefix and namespace URI it meets
in a dictionary that lxml shares between all the parsers of a thread and never shrinks. Freeing
elements cannot free it: 50 MB of `<e1/><e2/>…` took a reader to 246 MB, 250 MB to 921 MB,
and the worker's thread kept it after the file was done. A SAF-T file uses a few hundred names
and a handful of namespaces, so a file with far more is refused with the place of the first
name over the bound.

libxml2 also keeps some 32 bytes per prefixed namespace declaration until the parse ends, even
a repeated one, so those are bounded in number too. Namespace declarations are counted
exactly (lxml's `start-ns` events). Names are read from
the bytes before lxml parses them: in full for the first `WARM_UP` bytes, then one chunk in
`SAMPLE` at random (a full scan costs a fifth of the parse), and every chunk once a chunk
past the warm-up has shown a name not seen before. A flood of new names is therefore seen at
its first sampled chunk (an attacker cannot know which) and scanned in full from there on.
"""

from __future__ import annotations

import random
import re
from typing import IO

from shared.saft.errors import InvalidValue

#: distinct element and attribute names (prefixed as written) a file may use
MAX_NAMES = 2000
#: their total length in bytes
MAX_NAME_BYTES = 2**18
#: distinct namespace declarations (prefix and URI) a file may make
MAX_NAMESPACES = 100
#: prefixed namespace declarations a file may make, repeats included: libxml2 2.14 keeps about
#: 32 bytes for each until the parse ends (3 million took 100 MB, with no tree kept)
MAX_DECLARATIONS = 1_000_000
#: the longest namespace URI read, in characters
MAX_URI = 2048
#: bytes at the beginning of a file whose names are all read
WARM_UP = 2**22
#: the share of later chunks whose names are read while no new one shows
SAMPLE = 1 / 8
#: the most bytes after a chunk's last "<" carried to the next (a name is at most 50,000)
_TAIL = 2**16

#: an element's qualified name, after its "<" (end tags, comments, PIs and DOCTYPE excluded)
_ELEMENT = re.compile(rb"<([^\s/>!?=\"']+)")
#: an attribute's qualified name (also matches "a = 'b'" in text: counted, harmless)
_ATTRIBUTE = re.compile(rb"([^\s<>=\"'/]+)\s*=\s*[\"']")


class Names:
    """Counts what a file brings into the dictionary; fed each chunk before lxml parses it."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream = stream
        self.name = name
        self.origin = _tell(stream)
        self.seen: set[bytes] = set()
        self.size = 0
        self.namespaces: set[tuple[str, str]] = set()
        #: prefixed declarations so far, repeats included
        self.declarations = 0
        #: every chunk's names are read from now on
        self.every = False
        self._offset = 0
        self._carry = b""
        self._recent = b""
        self._recent_at = 0
        self._random = random.Random()

    def feed(self, data: bytes) -> None:
        """Count the names complete in the bytes so far; InvalidValue past a bound."""
        window = self._carry + data
        cut = window.rfind(b"<")
        if cut < 0 or len(window) - cut > _TAIL:
            cut = len(window)
        self._recent, self._recent_at = window, self._offset
        if self.every or self._offset < WARM_UP or self._random.random() < SAMPLE:
            self._scan(window[:cut])
        self._offset += cut
        self._carry = window[cut:]

    def _scan(self, head: bytes) -> None:
        found = set(_ELEMENT.findall(head))
        if b"=" in head:
            found.update(_ATTRIBUTE.findall(head))
        new = found - self.seen
        if not new:
            return
        if self._offset >= WARM_UP:
            self.every = True
        if len(self.seen) + len(new) > MAX_NAMES or self.size + sum(map(len, new)) > MAX_NAME_BYTES:
            at, found_name = self._first_over(head)
            raise self._too_many_names(self._offset + at, found_name)
        self.seen |= new
        self.size += sum(map(len, new))

    def _first_over(self, head: bytes) -> tuple[int, bytes]:
        """Where in `head` the name over a bound is, and that name (in document order)."""
        matches = sorted(
            [(m.start(1), m.group(1)) for m in _ELEMENT.finditer(head)]
            + [(m.start(1), m.group(1)) for m in _ATTRIBUTE.finditer(head)]
        )
        for at, found in matches:
            if found not in self.seen:
                self.seen.add(found)
                self.size += len(found)
                if len(self.seen) > MAX_NAMES or self.size > MAX_NAME_BYTES:
                    return at, found
        return 0, b"?"  # not reached: the same names were counted before

    def declared(self, prefix: str, uri: str) -> None:
        """Count one namespace declaration (from lxml's `start-ns`); InvalidValue past a bound."""
        self.declarations += bool(prefix)
        key = (prefix, uri)
        if key not in self.namespaces:
            self.namespaces.add(key)
        elif self.declarations <= MAX_DECLARATIONS:
            return
        if len(uri) > MAX_URI:
            problem = f"a namespace URI longer than {MAX_URI:,} characters"
        elif len(self.namespaces) > MAX_NAMESPACES:
            problem = f"more than {MAX_NAMESPACES:,} different namespaces"
        elif self.declarations > MAX_DECLARATIONS:
            problem = f"namespace prefixes more than {MAX_DECLARATIONS:,} times in all"
        else:
            return
        line, column = self.place(self._find(uri))
        where = f"line {line}, column {column}" if column else f"line {line}"
        raise InvalidValue(
            f"{self.name} declares {problem} (at {where}); a SAF-T Financial file declares a "
            "handful: export the file again as the accounting system writes it.",
            element="xmlns",
            line=line,
            file=self.name,
        )

    def _find(self, uri: str) -> int:
        at = self._recent.rfind(uri[:MAX_URI].encode())
        return self._recent_at + max(at, 0)

    def _too_many_names(self, offset: int, found: bytes) -> InvalidValue:
        line, column = self.place(offset)
        where = f"line {line}, column {column}" if column else f"line {line}"
        shown = found.decode("utf-8", "replace")[:40]
        return InvalidValue(
            f"{self.name} uses more than {MAX_NAMES:,} different element and attribute names "
            f"(or {MAX_NAME_BYTES // 1024:,} KB of them); '{shown}' at {where} is one too many. "
            "A SAF-T Financial file uses a few hundred: export the file again as the "
            "accounting system writes it.",
            element=shown,
            line=line,
            file=self.name,
        )

    def place(self, offset: int) -> tuple[int, int]:
        """(line, column) of a byte offset from the file's start, read again; column 0 unknown."""
        if self.origin is None:
            return 1, 0
        self.stream.seek(self.origin)
        lines, last_newline, done = 1, -1, 0
        while done < offset:
            block = self.stream.read(min(2**20, offset - done))
            if not block:
                break
            found = block.rfind(b"\n")
            if found >= 0:
                lines += block.count(b"\n")
                last_newline = done + found
            done += len(block)
        return lines, offset - last_newline


def _tell(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return None
