#!/usr/bin/env python3
"""embed.py IN OUT NAME - write a C file defining `const char NAME[]` with IN's text."""
import sys

src, dst, name = sys.argv[1:4]
data = open(src, encoding="utf-8").read()
with open(dst, "w", encoding="utf-8") as f:
    f.write("/* generated from %s by results/embed.py; do not edit */\n" % src.split("/")[-1])
    f.write("const char %s[] =\n" % name)
    for line in data.splitlines(True):
        f.write('    "%s"\n' % line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
    f.write(";\n")
