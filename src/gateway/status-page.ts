// The status page served at / until the viewer arrives: readiness (which subsystem cannot serve,
// and why: a graph shard that keeps failing is named there), the live supervision tree and the
// latest supervision events, and the GPU (driver, devices, which kernel image loaded or why none did,
// device resets), refreshed every second from the JSON endpoints with the page's own token.
export const statusPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VisionFlow node</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;background:#0f1419;color:#d6dde6}
h1{font-size:1.3rem}h2{font-size:1rem;color:#8fb3d9}
.cols{display:flex;gap:3rem;flex-wrap:wrap}pre{line-height:1.45}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #233}
.actor-failed,.restart-intensity-exceeded,.down{color:#ff8a80}.actor-restarted,.serving{color:#a5d6a7}.degraded{color:#ffd180}
</style></head><body>
<h1>VisionFlow node <span id="node"></span></h1>
<h2>Readiness</h2><table id="readiness"></table>
<div class="cols"><div><h2>Supervision tree</h2><pre id="tree">loading...</pre></div>
<div><h2>Recent supervision events</h2><table id="events"></table></div></div>
<h2>GPU</h2><pre id="gpu"></pre>
<script>
const token = new URLSearchParams(location.search).get('token') || '';
const q = '?token=' + encodeURIComponent(token);
function indent(path){ return path === '/' ? '/' : '  '.repeat(path.split('/').length - 2) + path.slice(path.lastIndexOf('/') + 1); }
async function refresh(){
  try {
    const tree = await (await fetch('/api/tree' + q)).json();
    document.getElementById('node').textContent = '(' + tree.node + ')';
    document.getElementById('tree').textContent = tree.actors.map(indent).join('\\n');
    const ready = await (await fetch('/readyz')).json();
    const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
    document.getElementById('readiness').innerHTML = Object.entries(ready.subsystems).map(([name, s]) =>
      '<tr class="' + s.state + '"><td>' + esc(name) + '</td><td>' + s.state + '</td><td>' + s.reasons.map(esc).join('<br>') + '</td></tr>').join('');
    const events = await (await fetch('/api/events' + q)).json();
    const rows = events.slice(-30).reverse().map(e => '<tr class="' + e.type + '"><td>' + e.type + '</td><td>' + e.path + '</td><td>' + e.detail.replace(/</g, '&lt;') + '</td></tr>');
    document.getElementById('events').innerHTML = rows.join('');
    const gpu = await (await fetch('/api/gpu' + q)).json();
    const p = gpu.probe;
    document.getElementById('gpu').textContent = [
      p === null ? 'not probed' : (p.driver === null ? '' : 'CUDA driver ' + p.driver + ': ') + (p.available ? p.devices.join(', ') : 'none usable (' + p.reason + ')'),
      ...gpu.modules.map((m) => m.module + ' kernels: ' + (m.loaded === null ? 'did not load' : 'loaded from the ' + m.loaded) + ' on ' + m.device +
        m.attempts.map((a) => '\n  ' + a.image + ': ' + a.error).join('')),
      ...gpu.resets.map((r) => 'reset ' + r.device + ' at ' + r.at + ' after ' + r.after),
    ].join('\n');
  } catch (e) { document.getElementById('tree').textContent = 'disconnected: ' + e; }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
`;
