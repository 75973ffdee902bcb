#!/usr/bin/env python3
"""Prints the verdict table of papers/README.md from the executed notebooks' ClaimCheck cells.

    python3 papers/verdicts.py            # markdown table on stdout

Each papers/NN-*.ipynb ends with a ClaimCheck (org.minitron4j.experiment.ClaimCheck) rendered as
<div class="m4j-claim">; this reads the last one of every notebook, so the README quotes the notebooks' own numbers.
"""
import glob
import html
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def claim_of(path):
    found = None
    for cell in json.load(open(path, encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            h = "".join(out.get("data", {}).get("text/html", ""))
            if "m4j-claim" in h:
                found = h
    if found is None:
        return None
    fields = {k: html.unescape(v) for k, v in re.findall(r"<th[^>]*>(.*?)</th><td[^>]*>(.*?)</td>", found)}
    fields["claim"] = html.unescape(re.search(r'font-weight:bold">(.*?)</div>', found).group(1))
    return fields


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


rows = ["| # | claim | paper reports | we measured (full budget) | verdict |", "|---|---|---|---|---|"]
for nb in sorted(glob.glob(os.path.join(HERE, "[0-9][0-9]-*.ipynb"))):
    c = claim_of(nb)
    if c is None:
        continue
    name = os.path.basename(nb)
    verdict = c["verdict"].replace(" at this scale", "")
    rows.append(f"| [{name[:2]}]({name}) | {cell(c['claim'])} ({cell(c['paper'])}) | {cell(c['paper reports'])} "
                f"| {cell(c['we measured'])} | **{verdict}**: {cell(c['because'])} |")
print("\n".join(rows))
