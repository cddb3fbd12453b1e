#!/usr/bin/env python3
"""Turns bench/run's raw lines into ONE table (markdown + JSON) and gnuplot plots.

  report.py RAW OUT_DIR "machine description"

RAW lines: "metric value unit" (a figure) or "status key text..." (why a figure is
missing, e.g. "status pam not_built"). A row whose figures are missing says so; it never
shows a number that was not measured in this run.
"""
import datetime
import json
import os
import subprocess
import sys

NSS_SIZES = ("100", "10000", "100000")
NSS_PEERS = ("files", "extrausers", "cache")


def load(path):
    figures, status = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "status":
                status[parts[1]] = " ".join(parts[2:]) or "missing"
            elif len(parts) >= 2:
                try:
                    figures[parts[0]] = (float(parts[1]), parts[2] if len(parts) > 2 else "")
                except ValueError:
                    pass
    return figures, status


def fmt(v, unit=""):
    if v is None:
        return "—"
    if unit == "ns" and v >= 1000:
        return f"{v / 1000:.3g} µs" if v < 1e6 else f"{v / 1e6:.3g} ms"
    if abs(v) >= 100000:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.0f}"
    else:
        s = f"{v:.3g}"
    return f"{s} {unit}".strip()


class Table:
    def __init__(self, figures, status):
        self.f, self.s, self.rows = figures, status, []

    def get(self, key):
        return self.f[key][0] if key in self.f else None

    def why_missing(self, *keys):
        for k in keys:
            for sk, text in self.s.items():
                if k.startswith(sk):
                    return text
        return "not measured"

    def add(self, metric, ours_key, peers=(), limit_key=None, unit="", ratio=None, target="", met=None,
            limit_value=None, missing_key=None):
        """peers: [(label, key)]; ratio: callable(get) -> (value, text) or None; met: callable -> bool."""
        ours = self.get(ours_key) if ours_key else None
        peer_vals = [(label, self.get(k)) for label, k in peers]
        limit = limit_value if limit_value is not None else (self.get(limit_key) if limit_key else None)
        row = {"metric": metric, "unit": unit, "ours": ours, "peers": {l: v for l, v in peer_vals},
               "limit": limit, "target": target}
        if ours is None and ours_key:
            why = self.why_missing(missing_key or ours_key)
            row.update(ratio=None, ratio_text="", met=None, met_text=why)
        else:
            r = ratio(self.get) if ratio else None
            row["ratio"], row["ratio_text"] = (r if r else (None, ""))
            ok = met(self.get) if met else None
            row["met"] = ok
            row["met_text"] = "" if ok is None else ("yes" if ok else "NO")
        peers_text = ", ".join(f"{l} {fmt(v, unit)}" for l, v in peer_vals if v is not None)
        missing_peers = [l for l, v in peer_vals if v is None]
        if missing_peers:
            peers_text += ("; " if peers_text else "") + "/".join(missing_peers) + " n/a"
        row["peers_text"] = peers_text
        if ours is not None:
            row["ours_text"] = fmt(ours, unit)
        else:
            row["ours_text"] = "not built" if "not built" in row["met_text"] else "—"
        row["limit_text"] = fmt(limit, unit) if limit is not None else ""
        self.rows.append(row)


def ratio_of(a, b, label):
    """ours/other as "0.72× LABEL"."""
    def f(get):
        x, y = get(a), get(b)
        if x is None or not y:
            return None
        return x / y, f"{x / y:.2f}× {label}"
    return f


def both(r1, r2):
    """Two ratios in one cell; the first is the row's ratio value."""
    def f(get):
        a, b = r1(get), r2(get)
        parts = [x[1] for x in (a, b) if x]
        return ((a or b)[0], ", ".join(parts)) if parts else None
    return f


def build(t):
    # ---- token verification ----
    # verify_jwt checks the signature AND the claims (exp, iss, aud, ...). cjose_jws_verify
    # checks the signature only; mod_auth_openidc then parses and checks the claims with
    # jansson, so "cjose+claims" is the like-for-like peer and the targets are judged on it.
    # "floor" is what no verifier can skip (hash + OpenSSL's public-key op, no JSON at all):
    # floor / cjose shows how much room a signature-only comparison leaves.
    for alg, ossl in (("RS256", "rsa2048"), ("ES256", "ecdsap256"), ("ES384", "ecdsap384"), ("EdDSA", "ed25519")):
        k = f"verify.{alg}."
        target, met = "", None
        if alg == "RS256":
            target = "≥1.1× cjose+claims, ≥65% openssl"
            met = lambda g, k=k: None if g(k + "cjose_claims") is None or g(f"openssl.{ossl}") is None else (
                g(k + "ours") >= 1.1 * g(k + "cjose_claims") and g(k + "ours") >= 0.65 * g("openssl.rsa2048"))
        elif alg == "ES256":
            target = "≥1.0× cjose+claims"
            met = lambda g, k=k: None if g(k + "cjose_claims") is None else g(k + "ours") >= g(k + "cjose_claims")

        def ratio(g, k=k, ossl=ossl):
            parts, first = [], None
            for peer in ("cjose_claims", "cjose", "libjwt"):
                if g(k + peer):
                    parts.append(f"{g(k + 'ours') / g(k + peer):.2f}× {peer.replace('_', '+')}")
                    first = first if first is not None else g(k + "ours") / g(k + peer)
            if g(k + "floor"):
                parts.append(f"{100 * g(k + 'ours') / g(k + 'floor'):.0f}% floor")
            if g(f"openssl.{ossl}"):
                parts.append(f"{100 * g(k + 'ours') / g(f'openssl.{ossl}'):.0f}% openssl speed")
            return (first, ", ".join(parts)) if parts else None
        t.add(f"{alg} verify, first-seen tokens", k + "ours",
              [("cjose+claims", k + "cjose_claims"), ("cjose", k + "cjose"), ("libjwt", k + "libjwt")],
              k + "floor", "/s", ratio, target, met)
        if alg in ("RS256", "ES256"):
            t.add(f"{alg} floor (hash + OpenSSL op, no JSON) vs cjose signature-only", k + "floor",
                  [("cjose", k + "cjose")], None, "/s", ratio_of(k + "floor", k + "cjose", "cjose"),
                  "room left for parsing and claims", None, missing_key=k + "floor")
    t.add("verify, repeated token: verify_bearer_shared (the cache; SASL's per-connection call)", "verify.cached.ours",
          [], None, "/s", None, "> 1,000,000/s", lambda g: g("verify.cached.ours") > 1e6)
    t.add("verify, repeated token: verify_bearer (Identity copied out; PAM token_login, CLI)",
          "verify.cached_copy.ours", [], None, "/s", None, "", None, missing_key="verify.cached")

    # ---- NSS ----
    for size in NSS_SIZES:
        for op in ("pwnam_hit", "pwnam_miss", "pwuid_hit", "pwuid_miss"):
            key = f"nss.oidc.{size}.{op}"
            peers = [(p, f"nss.{p}.{size}.{op}") for p in NSS_PEERS]
            # The limit: glibc + a module that answers NOTFOUND at once (bench/nss_null.c), else
            # the bare stat() of nsswitch.conf glibc does on every call.
            null_key = f"nss.null.{size}.{op.split('_')[0]}_miss"
            floor_key = null_key if null_key in t.f else next(
                (f"nss.{s}.{size}.stat_floor" for s in ("oidc",) + NSS_PEERS if f"nss.{s}.{size}.stat_floor" in t.f), None)

            def ratio(g, key=key, size=size, op=op):
                best = min((g(f"nss.{p}.{size}.{op}") for p in NSS_PEERS if g(f"nss.{p}.{size}.{op}")), default=None)
                return (best / g(key), f"{best / g(key):.1f}× faster than best peer") if best else None
            t.add(f"NSS {op.replace('_', ' ')} @ {int(size):,} accounts", key if size in ("100", "10000", "100000") else None,
                  peers, floor_key, "ns", ratio, "< 2 µs", lambda g, key=key: g(key) < 2000, missing_key="nss.oidc")
    t.add("store update @ 100,000 accounts (fsync incl.)", "store.update_ms.100000", [], None, "ms", None, "< 20 ms",
          lambda g: g("store.update_ms.100000") < 20, missing_key="nss.oidc")
    t.add("store update @ 100,000 accounts, process CPU", "store.update_cpu_ms.100000", [], None, "ms", None,
          "", None, missing_key="nss.oidc")
    t.add("store size per 1,000 accounts", "store.bytes_per_1000.100000", [], None, "B", None, "", None,
          missing_key="nss.oidc")
    t.add("RSS added: dlopen NSS module", "rss.oidc.load", [(p, f"rss.{p}.load") for p in NSS_PEERS], None, "KiB",
          None, "", None, missing_key="nss.oidc")
    t.add("RSS added: module + 1,000 lookups @100k (incl. mapping)", "rss.oidc.lookups",
          [(p, f"rss.{p}.lookups") for p in NSS_PEERS], None, "KiB", None, "", None, missing_key="nss.oidc")
    t.add("anonymous memory added (beyond the mapping)", "rss.oidc.anon", [(p, f"rss.{p}.anon") for p in NSS_PEERS],
          None, "KiB", None, "< 100 KiB", lambda g: g("rss.oidc.anon") < 100, missing_key="nss.oidc")
    for mod in ("pam", "sasl"):
        t.add(f"RSS added: dlopen {mod} module", f"rss.{mod}.load", [], None, "KiB", None, "", None,
              missing_key=f"rss.{mod}")

    # ---- PAM ----
    for mode in ("keepalive", "newconn"):
        t.add(f"PAM login median ({mode})", f"pam.{mode}.login_ms", [("bare curl POST", f"pam.{mode}.curl_ms")],
              None, "ms", None, "", None, missing_key="pam")
        t.add(f"PAM overhead beyond bare POST ({mode}), wall", f"pam.{mode}.overhead_ms", [], None, "ms", None,
              "≤ 1 ms", lambda g, m=mode: g(f"pam.{m}.overhead_ms") <= 1.0, missing_key="pam")
        t.add(f"PAM login CPU, ours vs bare POST ({mode})", f"pam.{mode}.cpu_ms",
              [("bare curl POST", f"pam.{mode}.curl_cpu_ms")], None, "ms",
              lambda g, m=mode: (g(f"pam.{m}.cpu_overhead_ms"), f"+{g(f'pam.{m}.cpu_overhead_ms'):.2f} ms CPU"),
              "≤ 1 ms", lambda g, m=mode: g(f"pam.{m}.cpu_overhead_ms") <= 1.0, missing_key="pam")
    t.add("IdP requests per PAM login, warm caches", "idp.pam_requests_per_login", [], None, "", None, "exactly 1",
          lambda g: abs(g("idp.pam_requests_per_login") - 1) < 1e-9, missing_key="pam")

    # ---- SASL ----
    t.add("SASL OAUTHBEARER exchanges, first-seen tokens", "sasl.first_seen", [("dovecot", "sasl.dovecot")],
          "sasl.bare_verify", "/s", both(ratio_of("sasl.first_seen", "sasl.bare_verify", "bare verify_jwt"),
                                        ratio_of("sasl.first_seen", "sasl.dovecot", "dovecot")),
          "≥ 0.9× bare verify", lambda g: g("sasl.bare_verify") is not None and
          g("sasl.first_seen") >= 0.9 * g("sasl.bare_verify"), missing_key="sasl")
    t.add("libsasl2 alone: sasl_server_new + sasl_dispose (no mechanism)", "sasl.conn_only", [], None, "/s", None, "",
          None, missing_key="sasl")
    t.add("SASL OAUTHBEARER exchanges, repeated token", "sasl.repeated", [("dovecot", "sasl.dovecot_repeated")],
          None, "/s", ratio_of("sasl.repeated", "sasl.dovecot_repeated", "dovecot"), "> 200,000/s", lambda g: g("sasl.repeated") > 200000, missing_key="sasl")
    t.add("verify_bearer_shared (OidcContext) first-seen, in-process", "verify.bearer_first.ours", [], None,
          "/s", ratio_of("verify.bearer_first.ours", "verify.RS256.ours", "bare verify_jwt"), "", None,
          missing_key="verify.cached")
    t.add("IdP requests per PAM login, fresh process (disk cache)", "idp.pam_requests_per_login_newproc", [], None,
          "", None, "exactly 1", lambda g: abs(g("idp.pam_requests_per_login_newproc") - 1) < 1e-9, missing_key="pam")
    t.add("JWKS fetches per 10,000 SASL verifications across a rotation", "idp.jwks_per_10k_rotation", [], None,
          "", None, "≤ 2", lambda g: g("idp.jwks_per_10k_rotation") <= 2, missing_key="idpload.rotation")
    hosts = next((k.split(".")[1][5:] for k in t.f if k.startswith("idp.hosts") and k.endswith(".discovery")), "1000")
    for what, unit in (("discovery", ""), ("jwks", ""), ("token", ""), ("seconds", "s")):
        label = f"{int(hosts):,} cold hosts at once: " + (f"{what} requests" if what != "seconds" else "wall time")
        target = f"≤ {int(hosts):,} (one per host)" if what in ("discovery", "jwks") else ""
        met = (lambda g, k=f"idp.hosts{hosts}.{what}", h=int(hosts): g(k) <= h) if target else None
        t.add(label, f"idp.hosts{hosts}.{what}", [], None, unit, None, target, met, missing_key="idpload.hosts")

    # ---- instruction counts ----
    for alg in ("RS256", "ES256"):
        k = f"callgrind.verify.{alg}."
        t.add(f"callgrind: one {alg} verify", k + "ours",
              [("cjose+claims", k + "cjose_claims"), ("cjose", k + "cjose"), ("floor", k + "floor")],
              None, "Ir", both(ratio_of(k + "cjose_claims", k + "ours", "fewer than cjose+claims"),
                               ratio_of(k + "cjose", k + "ours", "fewer than cjose")),
              "", None, missing_key="callgrind")
    t.add("callgrind: one cached verify_bearer_shared", "callgrind.verify.cached.ours", [], None, "Ir", None, "", None,
          missing_key="verify.cached")
    t.add("callgrind: one SASL exchange, first-seen token", "callgrind.sasl.first", [], None, "Ir", None, "", None,
          missing_key="sasl")
    t.add("callgrind: one SASL exchange, repeated token", "callgrind.sasl.repeat", [], None, "Ir", None, "", None,
          missing_key="sasl")
    t.add("callgrind: one NSS getpwnam hit (oidc, 100k)", "callgrind.nss_lookup.oidc", [], None, "Ir", None, "",
          None, missing_key="nss.oidc")


def markdown(t, machine, stamp):
    out = [f"Taken {stamp} on {machine}.", "",
           "| metric | ours | peer(s) | limit | ratio | target | met? |", "|---|---|---|---|---|---|---|"]
    for r in t.rows:
        out.append(f"| {r['metric']} | {r['ours_text']} | {r['peers_text']} | {r['limit_text']} | "
                   f"{r['ratio_text']} | {r['target']} | {r['met_text']} |")
    return "\n".join(out) + "\n"


def plots(t, out_dir):
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode != 0:
        return
    # NSS latency against accounts, log-log, one line per source (getpwnam hit).
    with open(os.path.join(out_dir, "nss_latency.dat"), "w", encoding="utf-8") as f:
        f.write("# accounts oidc files extrausers cache  (getpwnam hit, ns)\n")
        for size in NSS_SIZES:
            vals = [t.get(f"nss.{s}.{size}.pwnam_hit") for s in ("oidc",) + NSS_PEERS]
            f.write(size + " " + " ".join("NaN" if v is None else f"{v:.1f}" for v in vals) + "\n")
    gp = f"""set terminal pngcairo size 900,560 noenhanced
set output '{out_dir}/nss_latency.png'
set logscale xy
set xlabel 'accounts'
set ylabel 'getpwnam_r hit through glibc (ns, log)'
set title 'NSS lookup latency against number of accounts'
set key top left
set grid
set xrange [50:200000]
plot for [i=2:5] '{out_dir}/nss_latency.dat' using 1:i with linespoints lw 2 title columnhead(i)
"""
    # columnhead needs a header line without '#': write one.
    with open(os.path.join(out_dir, "nss_latency.dat"), encoding="utf-8") as f:
        body = f.read().splitlines()[1:]
    with open(os.path.join(out_dir, "nss_latency.dat"), "w", encoding="utf-8") as f:
        f.write("accounts ours nss_files extrausers nss_cache\n" + "\n".join(body) + "\n")
    subprocess.run(["gnuplot"], input=gp.encode(), check=False)

    # Verifications per second per library beside the openssl limit.
    algs = (("RS256", "rsa2048"), ("ES256", "ecdsap256"), ("ES384", "ecdsap384"), ("EdDSA", "ed25519"))
    with open(os.path.join(out_dir, "verify.dat"), "w", encoding="utf-8") as f:
        f.write("# alg ours cjose_claims cjose libjwt floor openssl_limit\n")
        for alg, ossl in algs:
            vals = [t.get(f"verify.{alg}.{lib}") for lib in ("ours", "cjose_claims", "cjose", "libjwt", "floor")]
            vals.append(t.get(f"openssl.{ossl}"))
            f.write(alg + " " + " ".join("NaN" if v is None else f"{v:.0f}" for v in vals) + "\n")
    gp = f"""set terminal pngcairo size 900,560 noenhanced
set output '{out_dir}/verify.png'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'verifications per second, one thread (log)'
set title 'JWT verification, first-seen tokens, same key and token set'
set key top right
set grid ytics
set logscale y
set yrange [100:200000]
plot '{out_dir}/verify.dat' using 2:xtic(1) title 'ours', '' using 3 title 'cjose + claims check', '' using 4 title 'cjose (signature only)', '' using 5 title 'libjwt', '' using 6 title 'floor: hash + OpenSSL op', '' using 7 title 'openssl speed'
"""
    subprocess.run(["gnuplot"], input=gp.encode(), check=False)


def main():
    raw, out_dir, machine = sys.argv[1], sys.argv[2], sys.argv[3]
    figures, status = load(raw)
    t = Table(figures, status)
    build(t)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    md = markdown(t, machine, stamp)
    with open(os.path.join(out_dir, "latest.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(out_dir, "latest.json"), "w", encoding="utf-8") as f:
        json.dump({"taken": stamp, "machine": machine, "rows": t.rows,
                   "raw": {k: {"value": v, "unit": u} for k, (v, u) in figures.items()}, "status": status},
                  f, indent=1, ensure_ascii=False)
    plots(t, out_dir)
    sys.stdout.write(md)


if __name__ == "__main__":
    main()
