// The status page served at / until the viewer arrives: the live supervision tree and the latest
// supervision events, refreshed every second from the JSON endpoints with the page's own token.
export const statusPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VisionFlow node</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;background:#0f1419;color:#d6dde6}
h1{font-size:1.3rem}h2{font-size:1rem;color:#8fb3d9}
.cols{display:flex;gap:3rem;flex-wrap:wrap}pre{line-height:1.45}
table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #233}
.actor-failed,.restart-intensity-exceeded{color:#ff8a80}.actor-restarted{color:#a5d6a7}
</style></head><body>
<h1>VisionFlow node <span id="node"></span></h1>
<div class="cols"><div><h2>Supervision tree</h2><pre id="tree">loading...</pre></div>
<div><h2>Recent supervision events</h2><table id="events"></table></div></div>
<script>
const token = new URLSearchParams(location.search).get('token') || '';
const q = '?token=' + encodeURIComponent(token);
function indent(path){ return path === '/' ? '/' : '  '.repeat(path.split('/').length - 2) + path.slice(path.lastIndexOf('/') + 1); }
async function refresh(){
  try {
    const tree = await (await fetch('/api/tree' + q)).json();
    document.getElementById('node').textContent = '(' + tree.node + ')';
    document.getElementById('tree').textContent = tree.actors.map(indent).join('\\n');
    const events = await (await fetch('/api/events' + q)).json();
    const rows = events.slice(-30).reverse().map(e => '<tr class="' + e.type + '"><td>' + e.type + '</td><td>' + e.path + '</td><td>' + e.detail.replace(/</g, '&lt;') + '</td></tr>');
    document.getElementById('events').innerHTML = rows.join('');
  } catch (e) { document.getElementById('tree').textContent = 'disconnected: ' + e; }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
`;
