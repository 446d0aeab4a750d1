"""A counting SMTP sink for the delivery benchmark: aiosmtpd on 127.0.0.1 in its own process.

``python bench/smtp_sink.py PORT`` prints ``ready`` once listening, counts every accepted message per
recipient, and on a line ``stop`` (or end of stdin) prints ``{"messages": N, "recipients": R,
"most_per_recipient": M}`` as JSON and exits. A separate process keeps the server's work off the
client's interpreter lock, as with a real mail server.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


class Counting:
    """aiosmtpd handler: accept everything, count messages per recipient."""

    def __init__(self) -> None:
        self.messages = 0
        self.per_recipient: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.per_recipient.update(address.lower() for address in envelope.rcpt_tos)
        return "250 OK"

    def summary(self) -> dict[str, int]:
        most = max(self.per_recipient.values(), default=0)
        return {"messages": self.messages, "recipients": len(self.per_recipient), "most_per_recipient": most}


def main(port: int) -> int:
    handler = Counting()
    controller = Controller(handler, hostname=HOST, port=port, data_size_limit=50_000_000)
    controller.start()
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    controller.stop()
    print(json.dumps(handler.summary()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1])))
