#!/usr/bin/env python3
"""One SMTP AUTH exchange over a raw socket, for the SASL end-to-end test.

    AUTH_SECRET=<token or password> smtp_auth.py PORT MECH USER [--no-ack]

MECH is OAUTHBEARER, XOAUTH2 or PLAIN. The initial response is sent with AUTH; when the
server answers 334 with a challenge, the mechanism's acknowledgement is sent (OAUTHBEARER:
a single 0x01, XOAUTH2: an empty line) unless --no-ack. Prints "challenge <json>" when there
was one, then "final <code> <text>". Every socket operation has a timeout.
"""
import base64
import os
import socket
import sys


def read_reply(f):
    lines = []
    for _ in range(100):
        line = f.readline(4096).decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            raise SystemExit("connection closed")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return int(line[:3]), line[4:], lines
    raise SystemExit("reply too long")


def main():
    port, mech, user = int(sys.argv[1]), sys.argv[2].upper(), sys.argv[3]
    ack = "--no-ack" not in sys.argv[4:]
    secret = os.environ["AUTH_SECRET"]
    if mech == "OAUTHBEARER":
        initial = f"n,a={user},\x01host=127.0.0.1\x01port={port}\x01auth=Bearer {secret}\x01\x01"
        answer = "\x01"
    elif mech == "XOAUTH2":
        initial = f"user={user}\x01auth=Bearer {secret}\x01\x01"
        answer = ""
    elif mech == "PLAIN":
        initial = f"\0{user}\0{secret}"
        answer = ""
    else:
        raise SystemExit(f"unknown mechanism {mech}")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        f = s.makefile("rb")
        code, _, _ = read_reply(f)
        if code != 220:
            raise SystemExit(f"banner {code}")
        s.sendall(b"EHLO client.test\r\n")
        code, _, lines = read_reply(f)
        if code != 250:
            raise SystemExit(f"EHLO {code}")
        print("ehlo " + " | ".join(lines))
        b64 = base64.b64encode(initial.encode()).decode()
        s.sendall(f"AUTH {mech} {b64}\r\n".encode())
        code, text, _ = read_reply(f)
        if code == 334:
            print("challenge " + base64.b64decode(text).decode("utf-8", "replace"))
            if not ack:
                s.sendall(b"*\r\n")  # RFC 4954 cancel
            else:
                s.sendall(base64.b64encode(answer.encode()) + b"\r\n")
            code, text, _ = read_reply(f)
        print(f"final {code} {text}")
        s.sendall(b"QUIT\r\n")


if __name__ == "__main__":
    main()
