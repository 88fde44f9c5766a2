"""A real SMTP server for paperhub's tests: aiosmtpd on loopback, keeping every message.

    python sink.py DIR

Listens on 127.0.0.1 (a free port), prints `ready PORT` once it accepts connections, and
writes every message it takes, as received, to DIR/NNNNNN.eml (written whole, then renamed).
How it behaves is read from DIR/../mode before every transaction:

    ok      take every mail (the default, also when the file is missing)
    421     answer MAIL FROM with 421 (a server that is busy: the client must retry later)
    drop    close the connection at RCPT TO without an answer (a server that goes away)

and any recipient whose address holds `bounce` is refused with 550 (a permanent failure).
"""

import itertools
import os
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.mode_file = os.path.join(os.path.dirname(os.path.abspath(directory)), "mode")
        self.counter = itertools.count(1)

    def mode(self):
        try:
            with open(self.mode_file) as f:
                return f.read().strip() or "ok"
        except FileNotFoundError:
            return "ok"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mode() == "421":
            return "421 4.3.2 Service not available, try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode() == "drop":
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if "bounce" in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        name = os.path.join(self.directory, f"{n:06d}.eml")
        tmp = os.path.join(self.directory, f".{n:06d}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, name)
        return "250 Message accepted for delivery"


class Loopback(Controller):
    def factory(self):
        return SMTP(self.handler, decode_data=False, enable_SMTPUTF8=True)


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    with socket.socket() as probe:  # a free port (aiosmtpd's controller cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Loopback(Sink(directory), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    print(f"ready {port}", flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or dies)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
