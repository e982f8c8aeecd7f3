// The concierge chat: one `say` mutation through the router (understanding, dialogue
// action, query plan), then the reply streamed token by token through the router's
// graphql-transport-ws subscription.
"use strict";

const endpoint = new URL("/graphql", window.location.href);
const wsEndpoint = new URL(endpoint);
wsEndpoint.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
const ws = graphqlWs.createClient({ url: wsEndpoint.toString(), lazy: true });

const SAY = `mutation Say($conversationId: ID, $text: String!) {
  say(conversationId: $conversationId, text: $text) {
    id
    conversation { id }
    understanding {
      intent { name confidence }
      ranking { name confidence }
      entities { type value text start end confidence extractor }
      fallback
      model { name version }
    }
    action { name slots { name value } activeForm requestedSlot }
  }
}`;

const REPLY = `subscription Reply($turnId: ID!, $action: ActionInput!, $text: String) {
  replyStream(turnId: $turnId, action: $action, text: $text) {
    delta text done reset
    reply { text source model { name version } }
  }
}`;

const CORRECT = `mutation Correct($turnId: ID!, $intent: String!, $entities: [CorrectedEntityInput!]) {
  correctTurn(turnId: $turnId, intent: $intent, entities: $entities) { id intent correctedBy }
}`;

let conversationId = null;
let shown = null; // the turn whose understanding the inspector shows: { id, text, understanding }
const $ = (id) => document.getElementById(id);

function bubble(kind, text) {
  const li = document.createElement("li");
  li.className = kind;
  li.textContent = text;
  $("messages").appendChild(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function showUnderstanding(u) {
  const entities = u.entities.map((e) =>
    `<tr><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.value)}</td><td>${escapeHtml(e.text)}</td><td>${e.confidence.toFixed(2)}</td><td>${escapeHtml(e.extractor)}</td></tr>`).join("");
  $("understanding").innerHTML =
    `<p><span class="intent" data-testid="intent">${escapeHtml(u.intent.name)}</span>
     (<span data-testid="confidence">${u.intent.confidence.toFixed(3)}</span>)${u.fallback ? " · fallback" : ""}</p>
     <table><tr><th>entity</th><th>value</th><th>text</th><th>conf.</th><th>by</th></tr>${entities}</table>
     <p class="model">model ${escapeHtml(u.model.name)} ${escapeHtml(u.model.version)}</p>
     <button type="button" id="correct-open" data-testid="correct-open">Correct this</button>`;
  $("correct-open").addEventListener("click", openCorrection);
}

// "Correct this": the intent (the model's ranking offered) and entities as type=covered
// text, turned into spans of the turn's text; correctTurn records them for training.
function openCorrection() {
  const u = shown.understanding;
  $("correct-intent").value = u.intent.name;
  $("correct-intents").innerHTML = u.ranking.map((r) => `<option value="${escapeHtml(r.name)}">`).join("");
  $("correct-entities").value = u.entities.map((e) => `${e.type}=${e.text}`).join(", ");
  $("correction-status").textContent = "";
  $("correction").hidden = false;
  $("correct-intent").focus();
}

function entitySpans(text, spec) {
  const spans = [];
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [type, ...rest] = part.split("=");
    const covered = rest.join("=").trim();
    const start = text.toLowerCase().indexOf(covered.toLowerCase());
    if (!type.trim() || !covered || start < 0) throw new Error(`“${part}” is not type=text of this message`);
    spans.push({ type: type.trim(), start, end: start + covered.length });
  }
  return spans;
}

async function saveCorrection(event) {
  event.preventDefault();
  const status = $("correction-status");
  try {
    const entities = entitySpans(shown.text, $("correct-entities").value);
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: CORRECT,
        variables: { turnId: shown.id, intent: $("correct-intent").value.trim(), entities },
      }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
    const saved = body.data.correctTurn;
    $("correction").hidden = true;
    status.textContent = `Saved: ${saved.intent} (by ${saved.correctedBy})`;
    status.dataset.saved = saved.id;
  } catch (err) {
    status.textContent = `Not saved: ${err.message}`;
  }
}

$("correction").addEventListener("submit", saveCorrection);
$("correct-cancel").addEventListener("click", () => { $("correction").hidden = true; });

function showDialogue(a) {
  const slots = a.slots.map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.value ?? "—")}</td></tr>`).join("");
  $("dialogue").innerHTML =
    `<p>action <b data-testid="action">${escapeHtml(a.name)}</b></p>
     <p>form ${escapeHtml(a.activeForm ?? "none")}${a.requestedSlot ? ` · asking for ${escapeHtml(a.requestedSlot)}` : ""}</p>
     <table><tr><th>slot</th><th>value</th></tr>${slots}</table>`;
}

function showPlan(plan) {
  const lines = [];
  (function walk(node, depth) {
    if (!node) return;
    const pad = "  ".repeat(depth);
    if (node.kind === "Fetch") lines.push(`${pad}Fetch(${node.serviceName})`);
    else if (node.kind === "Flatten") { lines.push(`${pad}Flatten(${node.path.join(".")})`); walk(node.node, depth + 1); }
    else if (node.nodes) { lines.push(`${pad}${node.kind}`); node.nodes.forEach((n) => walk(n, depth + 1)); }
    else if (node.node) walk(node.node, depth);
    else lines.push(`${pad}${node.kind}`);
  })(plan && plan.node, 0);
  $("plan").textContent = lines.join("\n") || "—";
}

async function say(text) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", "Chorus-Expose-Query-Plan": "true" },
    body: JSON.stringify({ query: SAY, variables: { conversationId, text } }),
  });
  const body = await response.json();
  if (body.errors && !body.data?.say) throw new Error(body.errors.map((e) => e.message).join("; "));
  if (body.extensions?.queryPlan) showPlan(body.extensions.queryPlan);
  return body.data.say;
}

function streamReply(turn, text) {
  const li = bubble("bot streaming", "");
  const action = { name: turn.action.name, slots: turn.action.slots.map((s) => ({ name: s.name, value: s.value })) };
  return new Promise((resolve, reject) => {
    ws.subscribe(
      { query: REPLY, variables: { turnId: turn.id, action, text } },
      {
        next: ({ data, errors }) => {
          if (errors) { reject(new Error(errors.map((e) => e.message).join("; "))); return; }
          const chunk = data.replyStream;
          li.textContent = chunk.reset ? chunk.text : li.textContent + chunk.delta;
          if (chunk.done && chunk.reply) {
            li.textContent = chunk.reply.text;
            const meta = document.createElement("span");
            meta.className = "meta";
            meta.textContent = `${chunk.reply.source}${chunk.reply.model ? ` · ${chunk.reply.model.name} ${chunk.reply.model.version}` : ""}`;
            li.appendChild(meta);
          }
          li.scrollIntoView({ block: "end" });
        },
        error: (err) => { li.classList.remove("streaming"); reject(err instanceof Error ? err : new Error(JSON.stringify(err))); },
        complete: () => { li.classList.remove("streaming"); li.dataset.done = "true"; resolve(); },
      },
    );
  });
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  $("status").textContent = "";
  bubble("user", text);
  try {
    const turn = await say(text);
    conversationId = turn.conversation.id;
    shown = { id: turn.id, text, understanding: turn.understanding };
    $("correction").hidden = true;
    $("correction-status").textContent = "";
    showUnderstanding(turn.understanding);
    showDialogue(turn.action);
    await streamReply(turn, text);
  } catch (err) {
    $("status").textContent = `Error: ${err.message}`;
  }
});
