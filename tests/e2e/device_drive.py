#!/usr/bin/env python3
"""Drives one device-grant login through a real program (ssh, sudo, pamtester) on a pty.

    device_drive.py ADMIN_URL ACTION USER OUT_JSON -- COMMAND ARGS...

Answers a first "Password: " prompt when --password is given (second_factor = device), waits
for the module's "Press Enter once you have approved" prompt, takes the user code from the
text shown with it, checks it against the test IdP's GET /admin/device/last, applies ACTION
through the admin API, presses Enter and waits for the program to end. ACTION:
  approve   POST /admin/device/approve {user_code, user}
  deny      POST /admin/device/deny
  expire    POST /admin/device/expire
  none      nothing (the module's overall limit must end it)
Writes OUT_JSON: the text shown before the prompt, the code, the program's output after the
last Enter, everything it wrote after the first prompt, its exit status, how many times it
asked (sudo asks again after a refusal) and timings (seconds). Every wait is bounded.
"""
import io
import json
import re
import sys
import time
import urllib.request

import pexpect

PROMPT = "Press Enter once you have approved"


def admin(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        text = answer.read().decode()
    return json.loads(text) if text else {}


def act(base, action, user, shown):
    """Applies ACTION to the code in the text shown; returns (user code, URL)."""
    match = re.search(r"enter the code ([A-Z0-9-]+)", shown)
    code = match.group(1) if match else ""
    url = re.search(r"To sign in, open (\S+)", shown)
    if action == "approve":
        admin(base, "POST", "/admin/device/approve", {"user_code": code, "user": user})
    elif action == "deny":
        admin(base, "POST", "/admin/device/deny", {"user_code": code})
    elif action == "expire":
        admin(base, "POST", "/admin/device/expire", {"user_code": code})
    return code, url.group(1) if url else ""


def main():
    args = sys.argv[1:]
    password = None
    if args and args[0] == "--password":
        password, args = args[1], args[2:]
    base, action, user, out_path = args[:4]
    command = args[args.index("--") + 1:]
    result = {"action": action}
    t0 = time.monotonic()
    child = pexpect.spawn(command[0], command[1:], encoding="utf-8", timeout=60,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "TERM": "dumb"})
    if password is not None:
        child.expect("Password: ")
        child.sendline(password)
    child.expect(PROMPT)
    t_prompt = time.monotonic()
    result["shown"] = child.before
    transcript = io.StringIO()  # everything from the first prompt on
    child.logfile_read = transcript
    result["attempts"] = 0
    # A program may ask again after a refusal (sudo tries 3 times): each attempt gets the same
    # treatment, at most 4 of them.
    while True:
        result["attempts"] += 1
        code, url = act(base, action, user, child.before)
        if result["attempts"] == 1:
            result["user_code"], result["url"] = code, url
            result["admin_last"] = admin(base, "GET", "/admin/device/last").get("user_code", "")
            t_decided = time.monotonic()
        child.sendline("")
        if result["attempts"] >= 4 or child.expect([PROMPT, pexpect.EOF], timeout=120) == 1:
            break
    if not child.eof():
        child.expect(pexpect.EOF, timeout=120)
    t_end = time.monotonic()
    child.close()
    result["after"] = child.before
    result["transcript"] = transcript.getvalue()
    result["status"] = child.exitstatus if child.exitstatus is not None else -(child.signalstatus or 0)
    result["seconds_to_prompt"] = round(t_prompt - t0, 3)
    result["seconds_after_enter"] = round(t_end - t_decided, 3)
    result["seconds_total"] = round(t_end - t0, 3)
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(result, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
