"""A real SMTP server for the alert tests (aiosmtpd): every message it accepts is written to
DIR as one file per recipient, raw as received; a recipient whose address starts with
"refused" is answered 550 (a permanent refusal). Prints "ready" once it listens.

    smtp_sink.py PORT DIR
"""
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.count += 1
            name = os.path.join(self.directory, f"{self.count:05d}-{rcpt}.eml")
            with open(name + ".tmp", "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(name + ".tmp", name)
        return "250 Message accepted"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    # The controller serves from its own thread; this one waits until the test kills it.
    threading.Event().wait()


if __name__ == "__main__":
    main()
