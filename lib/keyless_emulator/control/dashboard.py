"""The facilitator's dashboard page: a static shell that polls `/_emulator/dashboard/progress`.

The page itself holds no data and is served without credentials; everything it shows comes from the
JSON route, which demands the admin key (or the operator's token) like the rest of the control API.
The browser is given the admin key in the URL's fragment (`#key=...`, printed by `python -m
keyless_emulator dashboard`): a fragment never leaves the browser, so the key appears in no request
line, no request log and no proxy log, which a query string would. No script or style is loaded from
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
code{font-family:ui-monospace,Menlo,Consolas,monospace}
</style></head><body>
<h1>keyless workshop</h1>
<p id="status">waiting for the first update&hellip;</p>
<form id="login" hidden><label>admin key <input id="key" type="password" autocomplete="off"></label>
<button>show</button> <small>(<code>python -m keyless_emulator dashboard</code> prints a link with it)</small></form>
<table id="room"><thead><tr><th>attendee</th>"""

_SCRIPT = """</tr></thead><tbody></tbody></table>
<script>
const LINKS = %s;
const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
if (fromHash) {
  sessionStorage.setItem("keyless-admin-key", fromHash);
  history.replaceState(null, "", location.pathname);
}
let key = sessionStorage.getItem("keyless-admin-key");
const status = document.getElementById("status"), login = document.getElementById("login");
login.addEventListener("submit", e => { e.preventDefault(); key = document.getElementById("key").value;
  sessionStorage.setItem("keyless-admin-key", key); login.hidden = true; poll(); });
function call(method, path) {
  return fetch(path, {method, headers: {"x-emulator-admin-key": key || ""}, cache: "no-store"});
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
  if (!key) { login.hidden = false; status.textContent = "the admin key is needed"; return; }
  try {
    const r = await call("GET", "/_emulator/dashboard/progress");
    if (r.status === 401 || r.status === 403) {
      key = null; sessionStorage.removeItem("keyless-admin-key"); return poll();
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
