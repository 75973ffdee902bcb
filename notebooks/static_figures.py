#!/usr/bin/env python3
"""Gives every plotly figure of an executed notebook a still picture, for viewers that run no scripts (GitHub).

    static_figures.py --prepare EXPORTED.html PREPARED.html
    static_figures.py NOTEBOOK.ipynb DOM.html

EXPORTED.html is the notebook exported by nbconvert. --prepare writes a copy of it that, once plotly has drawn,
renders each figure to PNG with Plotly.toImage and lists the pictures in the DOM; run-notebooks.sh opens that copy in
headless Chromium (--dump-dom > DOM.html), then the second form embeds the pictures into the notebook.

Each figure output (<div class="m4j-figure" id=...>) gets its picture twice: as <img class="m4j-static"> inside the
div (which the figure's own script removes when plotly draws, see org.minitron4j.plot.Html) and as the output's
image/png, so renderers that pick either MIME type show it.
"""
import html
import json
import re
import sys

GRAB = """
<script>
(function () {
  function grab() {
    var figs = Array.prototype.slice.call(document.querySelectorAll('.m4j-figure'));
    var out = {};
    var jobs = figs.filter(function (d) { return d.querySelector('.plot-container'); }).map(function (d) {
      var w = Math.max(400, Math.min(d.clientWidth || 900, 1100));
      var h = Math.max(300, (d.querySelector('.main-svg') || d).clientHeight || 450);
      return Plotly.toImage(d, {format: 'png', width: w, height: h})
        .then(function (url) { out[d.id] = url; }, function () {});
    });
    Promise.all(jobs).then(function () {
      var p = document.createElement('pre');
      p.id = 'm4j-static-images';
      p.textContent = JSON.stringify(out);
      document.body.appendChild(p);
    });
  }
  setTimeout(grab, 4000);
})();
</script>
"""


def prepare(exported, prepared):
    page = open(exported, encoding="utf-8").read()
    i = page.rfind("</body>")
    page = page[:i] + GRAB + page[i:] if i >= 0 else page + GRAB
    open(prepared, "w", encoding="utf-8").write(page)


def embed(notebook, dom):
    m = re.search(r'<pre id="m4j-static-images">(.*?)</pre>', open(dom, encoding="utf-8").read(), re.S)
    if not m:
        print("static_figures: no pictures in " + dom, file=sys.stderr)
        return 1
    images = json.loads(html.unescape(m.group(1)))
    nb = json.load(open(notebook, encoding="utf-8"))
    done = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" not in data:
                continue
            text = "".join(data["text/html"]) if isinstance(data["text/html"], list) else data["text/html"]
            ids = re.findall(r'<div class="m4j-figure" id="([A-Za-z0-9_]+)"[^>]*>', text)
            found = [i for i in ids if i in images]
            for fid in found:
                url = images[fid]
                text = re.sub(r'(<div class="m4j-figure" id="' + fid + r'"[^>]*>)(<img class="m4j-static"[^>]*>)?',
                              lambda mm: mm.group(1) + '<img class="m4j-static" alt="figure (static picture)" '
                              'style="max-width:100%" src="' + url + '">', text, count=1)
                done += 1
            if found:
                data["text/html"] = text.splitlines(keepends=True)
                if len(found) == 1:
                    data["image/png"] = images[found[0]].split(",", 1)[1]
    with open(notebook, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"static_figures: {done} of {len(images)} pictures embedded in {notebook}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":
        prepare(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) == 3:
        sys.exit(embed(sys.argv[1], sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
