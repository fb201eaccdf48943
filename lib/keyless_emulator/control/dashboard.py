"""The facilitator's dashboard page: a static shell that polls `/_emulator/dashboard/progress`.

The page is a route of the control API like its data, so it takes the same credentials: the browser
signs in with HTTP Basic (any user name, the admin key or the operator's token as password; see
control/security.py), prompted by the 401's challenge when it opens the link, and then sends the
same credentials with the page's own requests (the progress it polls, the reset button's POST): same
origin, same realm. The page's script never holds the key, and the key is in no URL (a query string
would land in the request log and in shell history), in no request line and not in the HTML. The page
itself holds no data: everything it shows comes from the JSON route. No script or style is loaded from
anywhere: the page works in a room without network.
"""
from __future__ import annotations

from ..progress import LABELS, LINKS

_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>keyless workshop dashboard</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:.35em .7em;text-align:center}th:first-child,td:first-child{text-align:left}
td.done{background:#dafbe1;color:#1a7f37}td.todo{color:#8c959f}#status{color:#57606a;margin:.5em 0}
</style></head><body>
<h1>keyless workshop</h1>
<p id="status">waiting for the first update&hellip;</p>
<table id="room"><thead><tr><th>attendee</th>"""

_SCRIPT = """</tr></thead><tbody></tbody></table>
<script>
const LINKS = %s;
const status = document.getElementById("status");
function call(method, path) {  // the browser adds the credentials it signed in with (same origin, same realm)
  return fetch(path, {method, cache: "no-store", credentials: "same-origin"});
}
function cell(text, cls) {
  const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td;
}
function render(data) {
  const body = document.querySelector("#room tbody"); body.replaceChildren();
  for (const t of data.tenants) {
    const tr = document.createElement("tr"); tr.dataset.tenant = t.name;
    tr.appendChild(cell(t.name));
    for (const link of LINKS) {
      const done = t.links[link], td = cell(done ? "\\u2713" : "\\u00b7", done ? "done" : "todo");
      td.dataset.link = link; tr.appendChild(td);
    }
    tr.appendChild(cell(t.done + "/" + t.total));
    const td = document.createElement("td"), button = document.createElement("button");
    button.textContent = "reset"; button.addEventListener("click", () => reset(t.name));
    td.appendChild(button); tr.appendChild(td);
    body.appendChild(tr);
  }
  status.textContent = "updated " + new Date().toLocaleTimeString() + " \\u2014 " + data.tenants.length + " tenants";
}
async function reset(name) {
  if (!confirm("Put " + name + " back to before-you-begin? Their work is lost; nobody else is touched.")) return;
  const r = await call("POST", "/_emulator/tenants/" + encodeURIComponent(name) + "/reset");
  status.textContent = r.ok ? "reset " + name : "reset of " + name + " failed: " + r.status;
  poll();
}
async function poll() {
  try {
    const r = await call("GET", "/_emulator/dashboard/progress");
    if (!r.ok) {
      status.textContent = "refused (" + r.status + "): reload the page and sign in with the admin key as password";
      return;
    }
    render(await r.json());
  } catch (e) { status.textContent = "the emulator does not answer (" + e + ")"; }
}
poll(); setInterval(poll, %d);
</script></body></html>
"""

POLL_MS = 2000


def page() -> str:
    import json

    heads = "".join(f"<th>{LABELS[link]}</th>" for link in LINKS)
    return _HEAD + heads + "<th>done</th><th></th>" + _SCRIPT % (json.dumps(list(LINKS)), POLL_MS)
