#!/usr/bin/env python3
"""Render packaging/oidc-sysauth.conf.example as the key reference of oidc-sysauth.conf(5).

The example config is the one source of truth for keys, defaults and their meaning: a unit test
(config_doc_test) checks it against the parser, man_doc_test checks the page made from it. This
script substitutes @CONFIG_KEYS@ in the page template with a Markdown definition list per section.

    conf_keys.py EXAMPLE TEMPLATE OUTPUT

Reading rules (they follow how the example is written):
- "[section]" starts a section; lines before the first section are the file's header (skipped:
  the template says the same in prose).
- A run of comment lines directly above one or more consecutive "key = value" lines describes
  them; keys with no comment of their own share the one above (uid_min, uid_max).
- In the first comment block of a section, a line ending in "." followed by a line starting with
  a capital letter splits the block: what comes before introduces the section.
- A comment block followed by a blank line closes its section; inside it, lines of the form
  ";   key = values    description" document keys that are unset by default.
- A comment block directly above a section header introduces that section.
"""
import re
import sys

KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
COMMENTED_KEY_RE = re.compile(r"^\s+([a-z_]+) = (.+?)\s{2,}(\S.*)$")
SECTION_RE = re.compile(r"^\[([^\]]+)\]\s*$")


def md_escape(text):
    """Escape Markdown inline syntax so prose renders literally."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def md_code(text):
    """Inline code span that survives backticks inside the value."""
    return "``" + text + "``" if "`" in text else "`" + text + "`"


class Section:
    def __init__(self, name):
        self.name = name
        self.intro = []      # paragraphs (lists of lines)
        self.entries = []    # (keys [(name, value)], description lines)
        self.notes = []      # prose lines of a trailing block
        self.unset = []      # (key, values, description) documented as unset by default


def split_intro(block):
    """First comment block of a section: (intro lines, key description lines)."""
    for i in range(len(block) - 1):
        if block[i].rstrip().endswith(".") and block[i + 1][:1].isupper():
            return block[: i + 1], block[i + 1:]
    return [], block


def parse(lines):
    sections, current, comments, header_done = [], None, [], False
    first_block = True
    pending_keys = None  # the entry that following key lines without comments join
    for raw in lines:
        line = raw.rstrip("\n")
        stripped = line.strip()
        section = SECTION_RE.match(stripped)
        if section:
            current = Section(section.group(1))
            if comments and header_done:
                current.intro.append(comments)
            sections.append(current)
            comments, first_block, pending_keys, header_done = [], True, None, True
            continue
        if current is None:
            continue  # the file header
        if stripped.startswith(";") or stripped.startswith("#"):
            comments.append(stripped[1:][1:] if stripped[1:2] == " " else stripped[1:])
            pending_keys = None
            continue
        if not stripped:
            if comments:
                close_section(current, comments)
                comments = []
            pending_keys = None
            continue
        key = KEY_RE.match(stripped)
        if not key:
            raise SystemExit(f"conf_keys.py: cannot read line: {line!r}")
        name, value = key.group(1), key.group(2).strip()
        if comments:
            intro, desc = split_intro(comments) if first_block else ([], comments)
            if intro:
                current.intro.append(intro)
            pending_keys = ([(name, value)], desc)
            current.entries.append(pending_keys)
            comments, first_block = [], False
        elif pending_keys is not None:
            pending_keys[0].append((name, value))
        else:
            pending_keys = ([(name, value)], [])
            current.entries.append(pending_keys)
    if comments and current is not None:
        close_section(current, comments)
    return sections


def close_section(section, block):
    for line in block:
        m = COMMENTED_KEY_RE.match(line)
        if m:
            section.unset.append((m.group(1), m.group(2), m.group(3)))
        else:
            section.notes.append(line.strip())


def render(sections):
    out = []
    for s in sections:
        out.append(f"## [{md_escape(s.name)}]\n")
        for para in s.intro:
            out.append(md_escape(" ".join(l.strip() for l in para)) + "\n")
        for keys, desc in s.entries:
            terms = ", ".join(f"**{md_escape(k)}** = {md_code(v) if v else '*(empty)*'}" for k, v in keys)
            text = " ".join(l.strip() for l in desc)
            if not text and s.name.startswith("service:"):
                text = f"As in [access], for the {s.name[len('service:'):]} service only."
            out.append(f"{terms}\n:   {md_escape(text)}\n")
        if s.notes:
            out.append(md_escape(" ".join(s.notes)) + "\n")
        for key, values, desc in s.unset:
            out.append(f"**{md_escape(key)}** = {md_code(values)} (unset by default)\n:   {md_escape(desc)}\n")
    return "\n".join(out)


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    with open(argv[1], encoding="utf-8") as f:
        sections = parse(f.readlines())
    with open(argv[2], encoding="utf-8") as f:
        template = f.read()
    if "@CONFIG_KEYS@" not in template:
        raise SystemExit("conf_keys.py: the template has no @CONFIG_KEYS@")
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(template.replace("@CONFIG_KEYS@", render(sections)))


if __name__ == "__main__":
    main(sys.argv)
