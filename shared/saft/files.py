"""Files on disk: the parts of a split export (`…_n_N.xml`), read one after another as one.

Skatteetaten's naming is `SAF-T Financial_<orgnr>_<yyyymmddHHMMSS>_<n>_<N>.xml`; every part
carries its own header and control totals, and the MasterFiles come before the lines that use
them (in the first part, when the export is split).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from shared.errors import BadInput
from shared.saft.checks import Ledger
from shared.saft.model import Account, Master, Party, TaxCode, Transaction
from shared.saft.reader import read

#: the events `SetReader.records` yields besides transactions
_RECORDS = (Account, Party, TaxCode)
#: `<stem>_<n>_<N>.xml`: part n of N
PART = re.compile(r"^(?P<stem>.+)_(?P<n>\d{1,4})_(?P<of>\d{1,4})\.xml$", re.IGNORECASE)


def part_of(path: Path) -> tuple[str, int, int] | None:
    """(stem, n, N) of a part's file name, or None for a file that is not one."""
    found = PART.match(path.name)
    if found is None:
        return None
    return found["stem"], int(found["n"]), int(found["of"])


def resolve_parts(paths: Sequence[Path]) -> list[Path]:
    """The files to import, in order: one file, or every part of a split set.

    Given one part of a set, its siblings are looked for beside it. Raises BadInput for a
    missing or unreadable file, a missing part, or files that are not one set.
    """
    if not paths:
        raise BadInput("Name the SAF-T file to import.")
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path} does not exist or is not a file; check the path.")
    parts = [part_of(p) for p in paths]
    if len(paths) == 1 and (parts[0] is None or parts[0][2] == 1):
        return [paths[0]]
    if any(p is None for p in parts) or len({(p[0], p[2]) for p in parts if p}) != 1:
        raise BadInput(
            "Several files are imported together only as the parts of one split export "
            "(named …_1_N.xml to …_N_N.xml); import other files one at a time."
        )
    stem, _, total = parts[0]  # type: ignore[misc]
    folder = paths[0].parent
    given = {p[1]: path for p, path in zip(parts, paths, strict=True) if p}
    ordered = []
    for n in range(1, total + 1):
        found = given.get(n) or _sibling(folder, stem, n, total)
        if found is None:
            raise BadInput(
                f"Part {n} of {total} ({stem}_{n}_{total}.xml) is missing beside {paths[0].name}; "
                "put every part of the export in the same folder."
            )
        ordered.append(found)
    return ordered


def _sibling(folder: Path, stem: str, n: int, total: int) -> Path | None:
    for candidate in folder.iterdir():
        found = part_of(candidate)
        if found == (stem, n, total) and candidate.is_file():
            return candidate
    return None


class SetReader:
    """Reads a file or a split set as one, checking it with a `Ledger` as it goes."""

    def __init__(self, parts: Sequence[tuple[str, Path]], ledger: Ledger) -> None:
        self.parts = parts
        self.ledger = ledger
        #: the name of the part being read
        self.current: str | None = None
        self._done = 0
        self._stream: IO[bytes] | None = None

    def bytes_read(self) -> int:
        """Bytes of the set read so far (for progress)."""
        stream = self._stream
        return self._done + (stream.tell() if stream is not None and not stream.closed else 0)

    def transactions(self) -> Iterator[Transaction]:
        """Every checked transaction of every part; the ledger sees every other event."""
        for record in self.records():
            if type(record) is Transaction:
                yield record

    def records(self) -> Iterator[Transaction | Account | Master]:
        """Every checked transaction and every MasterFiles record of every part, in order.

        The ledger sees every event (each transaction checked before it is yielded).
        """
        ledger = self.ledger
        names: dict[str, str] = {}
        for name, path in self.parts:
            self.current = name
            ledger.next_file(name)
            with path.open("rb") as stream:
                self._stream = stream
                for event in read(stream, name, names):
                    if type(event) is Transaction:
                        ledger.transaction(event)
                        yield event
                    else:
                        ledger.feed(event)
                        if isinstance(event, _RECORDS):
                            yield event
                self._done += stream.tell()
            self._stream = None
