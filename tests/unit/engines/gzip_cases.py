"""Landing files, good and damaged, that every gunzip of the readers must treat alike."""

from __future__ import annotations

import gzip

BODY = b"".join(b'{"event_id": "e%d"}\n' % i for i in range(20_000))
GOOD = gzip.compress(BODY)
#: what "many members" decompresses to after BODY: one line of 900_000 x, tail, CR
MEMBERS_TAIL = b"x" * 900_000 + b"tail\r\n"
CASES = {
    "one member": GOOD,
    "many members": GOOD + gzip.compress(b"x" * 300_000) * 3 + gzip.compress(b"tail\r\n"),
    "empty file": b"",
    "empty member": gzip.compress(b""),
    "truncated": GOOD[: len(GOOD) // 2],
    "bad crc": GOOD[:-8] + bytes(b ^ 0xFF for b in GOOD[-8:-4]) + GOOD[-4:],
    "trailing garbage": GOOD + b"not gzip",
    "not gzip at all": b"plain text\n",
}
