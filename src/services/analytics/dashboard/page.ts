// The dashboard page: static HTML and a small script that polls /api/dashboard every two
// seconds and draws with Chart.js. Kept in code so the build ships it with the service.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signups — signup-pipeline</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; background: #f5f7fa; }
  body { margin: 0; padding: 24px 32px; }
  header { display: flex; align-items: baseline; justify-content: space-between; }
  h1 { font-size: 22px; margin: 0 0 16px; }
  #updated { color: #7b8794; font-size: 13px; }
  .tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; margin-bottom: 16px; }
  .tile, .panel { background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.08); padding: 16px 20px; }
  .tile .label { color: #616e7c; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
  .tile .value { font-size: 34px; font-weight: 650; margin-top: 4px; }
  .grid { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; }
  .panel h2 { font-size: 15px; margin: 0 0 12px; color: #3e4c59; }
  table { width: 100%; border-collapse: collapse; font-size: 14px; }
  td { padding: 6px 0; border-bottom: 1px solid #e4e7eb; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .ok { color: #2f8132; } .behind { color: #b44d12; } .unknown { color: #9aa5b1; }
</style>
</head>
<body>
<header><h1>Signups, live</h1><span id="updated">connecting…</span></header>
<section class="tiles">
  <div class="tile"><div class="label">Total signups</div><div class="value" id="total">–</div></div>
  <div class="tile"><div class="label">Onboarding started</div><div class="value" id="onboarding">–</div></div>
  <div class="tile"><div class="label">Last 60 minutes</div><div class="value" id="last-hour">–</div></div>
</section>
<section class="grid">
  <div class="panel"><h2>Signups per minute (UTC)</h2><canvas id="per-minute" height="120"></canvas></div>
  <div class="panel"><h2>Onboarding funnel</h2><canvas id="funnel" height="160"></canvas></div>
  <div class="panel"><h2>Top email domains</h2><canvas id="domains" height="120"></canvas></div>
  <div class="panel"><h2>Consumer lag and dead letters</h2><table id="lag"><tbody></tbody></table></div>
</section>
<script src="/vendor/chart.umd.min.js"></script>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_SCRIPT = `
'use strict';
const colors = { blue: '#2680c2', green: '#3f9142', grey: '#9aa5b1' };
Chart.defaults.animation = false;
const perMinute = new Chart(document.getElementById('per-minute'), {
  type: 'bar',
  data: { labels: [], datasets: [{ label: 'signups', data: [], backgroundColor: colors.blue }] },
  options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
});
const funnel = new Chart(document.getElementById('funnel'), {
  type: 'bar',
  data: { labels: ['Signed up', 'Onboarding started'], datasets: [{ data: [0, 0], backgroundColor: [colors.blue, colors.green] }] },
  options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
});
const domains = new Chart(document.getElementById('domains'), {
  type: 'bar',
  data: { labels: [], datasets: [{ data: [], backgroundColor: colors.grey }] },
  options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
});

function lastHourMinutes(perMinuteRows) {
  const byMinute = new Map(perMinuteRows.map((r) => [r.minute, r.signups]));
  const labels = [];
  const values = [];
  const now = new Date();
  now.setUTCSeconds(0, 0);
  for (let i = 59; i >= 0; i--) {
    const minute = new Date(now.getTime() - i * 60000).toISOString().slice(0, 16) + 'Z';
    labels.push(minute.slice(11, 16));
    values.push(byMinute.get(minute) || 0);
  }
  return { labels, values };
}

async function refresh() {
  try {
    const response = await fetch('/api/dashboard', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    document.getElementById('total').textContent = data.total.toLocaleString('en');
    document.getElementById('onboarding').textContent = data.funnel.onboardingStarted.toLocaleString('en');
    const hour = lastHourMinutes(data.perMinute);
    document.getElementById('last-hour').textContent = hour.values.reduce((a, b) => a + b, 0).toLocaleString('en');
    perMinute.data.labels = hour.labels;
    perMinute.data.datasets[0].data = hour.values;
    perMinute.update();
    funnel.data.datasets[0].data = [data.funnel.signedUp, data.funnel.onboardingStarted];
    funnel.update();
    domains.data.labels = data.topDomains.map((d) => d.domain);
    domains.data.datasets[0].data = data.topDomains.map((d) => d.signups);
    domains.update();
    const rows = data.lag.map((l) => {
      const cls = l.lag === null ? 'unknown' : l.lag === 0 ? 'ok' : 'behind';
      const text = l.lag === null ? 'n/a' : l.lag.toLocaleString('en');
      const dlqClass = l.deadLetters === null ? 'unknown' : l.deadLetters === 0 ? 'ok' : 'behind';
      const dlq = l.deadLetters === null ? 'n/a' : l.deadLetters.toLocaleString('en') + ' dead';
      return '<tr><td>' + l.service + '</td><td class="num ' + cls + '">' + text + '</td><td class="num ' + dlqClass + '">' + dlq + '</td></tr>';
    });
    document.querySelector('#lag tbody').innerHTML = rows.join('');
    document.getElementById('updated').textContent = 'updated ' + new Date(data.generatedAt).toLocaleTimeString('en-GB');
  } catch (error) {
    document.getElementById('updated').textContent = 'cannot reach the analytics service (' + error.message + '); retrying';
  }
}
refresh();
setInterval(refresh, 2000);
`;
