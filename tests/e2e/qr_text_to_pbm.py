#!/usr/bin/env python3
"""A QR code drawn with Unicode half blocks (light = block, as the PAM module draws it) on
stdin → a scaled PBM image on stdout, for zbarimg. Lines may carry a prefix (sshd puts
"(user@host) " before its prompt text) and carriage returns (a pty): the drawing is taken as
the longest run of block characters at the end of each line, trimmed to the common width."""
import collections
import re
import sys

BLOCKS = "\u2588\u2580\u2584 "
runs = []
for line in sys.stdin.read().replace("\r", "").split("\n"):
    match = re.search("[%s]+$" % BLOCKS, line)
    if match and any(ch != " " for ch in match.group(0)) and len(match.group(0)) >= 21:
        runs.append(match.group(0))
if not runs:
    sys.exit("no QR code in the input")
width = collections.Counter(len(r) for r in runs).most_common(1)[0][0]
rows = []
for run in runs:
    run = run[-width:].ljust(width)
    rows.append([ch in "\u2588\u2580" for ch in run])
    rows.append([ch in "\u2588\u2584" for ch in run])
scale, pad = 6, 4
full = [[True] * (width + 2 * pad)]
grid = full * pad + [[True] * pad + r + [True] * pad for r in rows] + full * pad
print("P1")
print(len(grid[0]) * scale, len(grid) * scale)
for row in grid:
    line = " ".join("0" if light else "1" for light in row for _ in range(scale))
    for _ in range(scale):
        print(line)
