// The fraud analyst's page: open alerts from `alerts(status: OPEN)`, new ones live from the
// `alertRaised` subscription (graphql-transport-ws through the router), a transaction's
// features, score and reasons on selection, and the verdict sent with `resolveAlert`
// (the label the next training run learns from).
"use strict";

const endpoint = new URL("/graphql", window.location.href);
const wsEndpoint = new URL(endpoint);
wsEndpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

const ALERT_FIELDS = `id severity score reasons status createdAt
  transaction { id amount currency merchant cardId }`;
const OPEN = `query OpenAlerts { alerts(status: OPEN) { ${ALERT_FIELDS} } }`;
const RAISED = `subscription Raised { alertRaised { ${ALERT_FIELDS} } }`;
const TRANSACTION = `query Transaction($id: ID!) {
  transaction(id: $id) {
    id amount currency merchant merchantCategory country cardId timestamp
    features {
      amountEur amountZScore amountToMeanRatio cardHistoryCount countLastMinute
      countLastHour firstAtMerchant firstInCountry secondsSincePrevious
    }
    risk { score reasons model { name version } }
    alert { id severity status reasons }
  }
}`;
const RESOLVE = `mutation Resolve($id: ID!, $fraud: Boolean!) {
  resolveAlert(id: $id, fraud: $fraud) { id status resolvedAt }
}`;

const $ = (id) => document.getElementById(id);
const alerts = new Map(); // id -> alert
let selected = null;

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

async function graphql(query, variables) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function row(alert) {
  const tr = document.createElement("tr");
  tr.dataset.id = alert.id;
  tr.dataset.testid = "alert";
  const t = alert.transaction;
  tr.innerHTML =
    `<td>${escapeHtml(new Date(alert.createdAt).toLocaleTimeString())}</td>
     <td><span class="sev sev-${escapeHtml(alert.severity)}">${escapeHtml(alert.severity)}</span></td>
     <td>${alert.score.toFixed(2)}</td>
     <td>${t.amount.toFixed(2)} ${escapeHtml(t.currency)}</td>
     <td>${escapeHtml(t.merchant)}</td>
     <td>${escapeHtml(t.cardId)}</td>
     <td class="st st-${escapeHtml(alert.status)}" data-testid="status">${escapeHtml(alert.status)}</td>`;
  tr.addEventListener("click", () => select(alert.id));
  return tr;
}

function show(alert, fresh) {
  if (alerts.has(alert.id)) return;
  alerts.set(alert.id, alert);
  const tr = row(alert);
  if (fresh) tr.classList.add("fresh");
  $("alerts").tBodies[0].prepend(tr);
  $("empty").hidden = true;
}

function showTransaction(t) {
  $("transaction").innerHTML =
    `<table>
       <tr><th>amount</th><td data-testid="amount">${t.amount.toFixed(2)} ${escapeHtml(t.currency)}</td></tr>
       <tr><th>merchant</th><td>${escapeHtml(t.merchant)} (${escapeHtml(t.merchantCategory)})</td></tr>
       <tr><th>country</th><td>${escapeHtml(t.country)}</td></tr>
       <tr><th>card</th><td>${escapeHtml(t.cardId)}</td></tr>
       <tr><th>time</th><td>${escapeHtml(t.timestamp)}</td></tr>
     </table>`;
  const r = t.risk;
  $("risk").innerHTML = r
    ? `<div class="score" data-testid="score">${r.score.toFixed(3)}</div>
       <div class="bar"><span style="width:${Math.round(r.score * 100)}%"></span></div>
       <div data-testid="reasons">${r.reasons.map((x) => `<span class="reason">${escapeHtml(x)}</span>`).join("") || "no reason stood out"}</div>
       <p>model ${escapeHtml(r.model.name)} ${escapeHtml(r.model.version)}</p>`
    : "no score (the anomaly subgraph did not answer)";
  const f = t.features;
  $("features").innerHTML = f
    ? `<table data-testid="features">${Object.entries(f).map(([k, v]) =>
        `<tr><th>${escapeHtml(k)}</th><td>${typeof v === "number" ? +v.toFixed(3) : escapeHtml(v ?? "—")}</td></tr>`).join("")}</table>`
    : "no features (the features subgraph did not answer)";
}

async function select(id) {
  selected = id;
  for (const tr of $("alerts").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.id === id);
  const alert = alerts.get(id);
  const open = alert.status === "OPEN";
  $("fraud").disabled = !open;
  $("legitimate").disabled = !open;
  try {
    const data = await graphql(TRANSACTION, { id: alert.transaction.id });
    if (selected === id) showTransaction(data.transaction);
  } catch (err) {
    $("status").textContent = `Error: ${err.message}`;
  }
}

async function resolve(fraud) {
  if (!selected) return;
  const id = selected;
  try {
    const data = await graphql(RESOLVE, { id, fraud });
    const alert = alerts.get(id);
    alert.status = data.resolveAlert.status;
    const cell = $("alerts").querySelector(`tr[data-id="${CSS.escape(id)}"] .st`);
    cell.textContent = alert.status;
    cell.className = `st st-${alert.status}`;
    $("fraud").disabled = true;
    $("legitimate").disabled = true;
  } catch (err) {
    $("status").textContent = `Error: ${err.message}`;
  }
}

$("fraud").addEventListener("click", () => resolve(true));
$("legitimate").addEventListener("click", () => resolve(false));

function live() {
  const client = graphqlWs.createClient({
    url: wsEndpoint.toString(),
    retryAttempts: Infinity,
    on: {
      connected: () => { $("live").dataset.state = "live"; $("live").textContent = "live"; },
      closed: () => { $("live").dataset.state = "down"; $("live").textContent = "reconnecting…"; },
    },
  });
  client.subscribe(
    { query: RAISED },
    {
      next: ({ data, errors }) => {
        if (errors) { $("status").textContent = `Error: ${errors.map((e) => e.message).join("; ")}`; return; }
        show(data.alertRaised, true);
      },
      error: (err) => { $("status").textContent = `Error: ${err.message ?? JSON.stringify(err)}`; },
      complete: () => {},
    },
  );
}

(async () => {
  live();
  try {
    const data = await graphql(OPEN);
    data.alerts.slice().reverse().forEach((a) => show(a, false));
  } catch (err) {
    $("status").textContent = `Error: ${err.message}`;
  }
})();
