#!/usr/bin/env python3
"""Writes the same accounts in every NSS source's format (bench/nss_run.sh).

  nss_data.py --from-store LIST | --synthetic N   --out DIR

LIST is `store_tool list` output (name:uid:gid:gecos:home:shell:...). Writes into DIR:
  accounts      "name uid" per line (what nss_bench looks up)
  passwd        passwd(5) lines for nss_files and libnss-extrausers
  passwd.cache, passwd.cache.ixname, passwd.cache.ixuid   libnss-cache's file and its
                sorted fixed-width indexes (key NUL offset NUL, padded, newline; strcmp order)
"""
import argparse
import os


def from_store(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("|")[0].split(":")
            if len(fields) >= 6:
                rows.append(fields[:6])
    return rows


def synthetic(n):
    return [[f"bu{i}", str(200000 + i), str(200000 + i), f"Bulk User {i}", f"/home/bu{i}", "/bin/bash"]
            for i in range(n)]


def write_index(path, keyed):
    keyed.sort(key=lambda kv: kv[0].encode())
    width = max(len(k.encode()) + len(str(o)) + 2 for k, o in keyed) + 1  # + newline
    with open(path, "wb") as f:
        for key, offset in keyed:
            rec = key.encode() + b"\0" + str(offset).encode() + b"\0"
            f.write(rec + b"\0" * (width - 1 - len(rec)) + b"\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-store")
    ap.add_argument("--synthetic", type=int)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = from_store(a.from_store) if a.from_store else synthetic(a.synthetic)
    if not rows:
        raise SystemExit("nss_data.py: no accounts")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "accounts"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(f"{r[0]} {r[1]}\n")
    lines = [f"{r[0]}:x:{r[1]}:{r[2]}:{r[3]}:{r[4]}:{r[5]}\n" for r in rows]
    with open(os.path.join(a.out, "passwd"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    by_name, by_uid, offset = [], [], 0
    with open(os.path.join(a.out, "passwd.cache"), "wb") as f:
        for r, line in zip(rows, lines):
            by_name.append((r[0], offset))
            by_uid.append((r[1], offset))
            data = line.encode()
            f.write(data)
            offset += len(data)
    # Written after passwd.cache: libnss-cache ignores an index older than its file.
    write_index(os.path.join(a.out, "passwd.cache.ixname"), by_name)
    write_index(os.path.join(a.out, "passwd.cache.ixuid"), by_uid)


if __name__ == "__main__":
    main()
