#!/usr/bin/env python3
"""Drives Dovecot's auth server (auth-client protocol on its unix socket) with OAUTHBEARER
exchanges, pipelined on one connection, and reports exchanges per CPU-second of the auth
process (schedstat from /proc, the same CPU-time basis as our in-process figures).

  dovecot_client.py SOCKET MASTER_PID TOKENS_FILE METRIC [--repeat N]

TOKENS_FILE: one JWT per line (the first is also used, tampered, for the correctness gate).
"""
import base64
import os
import socket
import sys


def auth_pid(master):
    """The auth process Dovecot's master started for our connection."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                head, tail = f.read().rsplit(")", 1)
        except OSError:
            continue
        if int(tail.split()[1]) == master and head.split("(", 1)[1].startswith("auth"):
            return int(entry)
    sys.exit("no dovecot auth process found")


def cpu_seconds(pid):
    """Nanosecond CPU time of every thread of pid (schedstat), not 10 ms clock ticks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
            total += int(f.read().split()[0])
    return total / 1e9


class Auth:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.f = self.s.makefile("rwb", buffering=1 << 20)
        self.f.write(f"VERSION\t1\t2\nCPID\t{os.getpid()}\n".encode())
        self.f.flush()
        while self.f.readline().strip() != b"DONE":
            pass
        self.next_id = 1

    def batch(self, tokens):
        """Sends one AUTH per token, answers error challenges, returns {id: OK|FAIL}."""
        ids = {}
        for t in tokens:
            msg = b"n,a=alice,\x01host=localhost\x01port=143\x01auth=Bearer " + t.encode() + b"\x01\x01"
            self.f.write(b"AUTH\t%d\tOAUTHBEARER\tservice=imap\tsecured\tresp=%s\n"
                         % (self.next_id, base64.b64encode(msg)))
            ids[self.next_id] = None
            self.next_id += 1
        self.f.flush()
        pending = len(ids)
        while pending:
            parts = self.f.readline().rstrip(b"\n").split(b"\t")
            kind, rid = parts[0], int(parts[1])
            if kind == b"CONT":  # RFC 7628 error challenge: answer with \x01
                self.f.write(b"CONT\t%d\t%s\n" % (rid, base64.b64encode(b"\x01")))
                self.f.flush()
                continue
            ids[rid] = kind.decode()
            pending -= 1
        return ids


def main():
    path, master, tokens_file, metric = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    repeat = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--repeat" else 0
    with open(tokens_file, encoding="ascii") as f:
        tokens = [line.strip() for line in f if line.strip()]
    a = Auth(path)
    good = a.batch(tokens[:1])
    t = tokens[0]
    cut = t.rfind(".") + 5
    bad = a.batch([t[:cut] + ("B" if t[cut] == "A" else "A") + t[cut + 1:]])
    if list(good.values()) != ["OK"] or list(bad.values()) != ["FAIL"]:
        sys.exit(f"dovecot gate failed: genuine {good}, tampered {bad}")
    work = [tokens[0]] * repeat if repeat else tokens[1:]
    pid = auth_pid(master)
    before = cpu_seconds(pid)
    results = []
    for i in range(0, len(work), 200):
        results += a.batch(work[i:i + 200]).values()
    spent = cpu_seconds(pid) - before
    if any(r != "OK" for r in results):
        sys.exit("dovecot refused a genuine token during timing")
    print(f"{metric} {len(work) / max(spent, 1e-9):.6g} ops/s")


if __name__ == "__main__":
    main()
