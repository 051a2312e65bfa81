// trustnode explorer: resolves DIDs, browses the hosted registries, asks TRQP authorization questions and verifies
// credentials and presentations through the node's own HTTP API. Everything the API returns, and every pasted
// document, is untrusted: it reaches the page only as text nodes (textContent), never as markup. State can be given
// in the URL hash (values percent-encoded), e.g.
//   #resolve=did:key:z6Mk…
//   #registry=<authority DID>&entity=<entity DID>&time=2025-01-01T00:00:00Z
//   #registry=<authority DID>&live.until=<sequence>   (follows its live changes until that snapshot)
//   #ask.authority=<DID>&ask.entity=<DID>&ask.action=issue&ask.resource=Degree&ask.time=2025-01-01T00:00:00Z
//   #verify=<credential or presentation JSON>&verify.challenge=<text>&verify.domain=<text>
// The hash never leaves the browser, so a credential given there is sent only to this node, and only to verify it.
"use strict";

const $ = (id) => document.getElementById(id);

/** Builds an element; string children become text nodes, so data is never parsed as HTML. */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(container, ...nodes) {
  container.replaceChildren(...nodes.flat().filter(Boolean));
}

function announce(id, text, kind) {
  const status = $(id);
  status.textContent = text;
  status.className = "status" + (kind ? " " + kind : "");
}

/** A definition list from [term, value] pairs; values that are absent are left out. */
function facts(pairs) {
  const list = el("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    list.append(el("dt", {}, term), el("dd", {}, value));
  }
  return list;
}

/** "yes" / "no" for a boolean; absent stays absent. */
function yesNo(value) {
  return typeof value === "boolean" ? (value ? "yes" : "no") : undefined;
}

function json(value) {
  return el("pre", { class: "json", tabindex: "0" }, JSON.stringify(value, null, 2));
}

function badge(text, tone) {
  return el("span", { class: "badge " + tone }, text);
}

const STATUS_TONES = { active: "good", suspended: "warn", revoked: "bad", expired: "bad", not_yet_valid: "warn" };

function statusBadge(status) {
  return badge(String(status || "unknown").replace(/_/g, " "), STATUS_TONES[status] || "neutral");
}

/** Fetches a URL; the body is parsed as JSON when it is JSON. Network failures become status 0. */
async function call(url, options) {
  try {
    const response = await fetch(url, options);
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (_) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body, text };
  } catch (error) {
    return { ok: false, status: 0, body: null, text: "the node could not be reached (" + error.message + ")" };
  }
}

/** A one-line explanation of a failed call: problem details, a resolution error, or the raw text. */
function failure(reply) {
  const body = reply.body;
  const error = body && body.didResolutionMetadata && body.didResolutionMetadata.error;
  if (error) {
    if (typeof error === "string") return error;
    return [error.title, error.detail].filter(Boolean).join(": ");
  }
  if (body && (body.title || body.detail)) return [body.title, body.detail].filter(Boolean).join(": ");
  return reply.text.slice(0, 300) || "no answer";
}

function enc(text) {
  return encodeURIComponent(text);
}

/** `datetime-local` value (taken as UTC) to RFC 3339 with `Z`; empty stays empty. */
function toUtc(local) {
  if (!local) return "";
  return (local.length === 16 ? local + ":00" : local) + "Z";
}

function fromUtc(text) {
  return String(text || "").replace(/Z$/, "").replace(/\.\d+$/, "");
}

// ---- node state -------------------------------------------------------------------------------------------------

async function loadNodeState() {
  const [ready, methods] = await Promise.all([call("/readyz"), call("/1.0/methods")]);
  $("node-state").textContent = ready.ok ? "Node ready." : "Node not ready: " + failure(ready);
  $("methods").textContent = Array.isArray(methods.body) ? methods.body.join(", ") : "unknown";
}

// ---- resolution -------------------------------------------------------------------------------------------------

async function resolve(did, noCache) {
  announce("resolve-status", "Resolving " + did + "…");
  const reply = await call("/1.0/identifiers/" + enc(did) + (noCache ? "?noCache=true" : ""), {
    headers: { Accept: "application/did-resolution" },
  });
  const result = reply.body || {};
  const metadata = result.didResolutionMetadata || {};
  const parts = [];
  // A deactivated DID resolves (410 Gone) to its metadata and a document that is only its id: no error to show.
  const deactivated = reply.status === 410 && (result.didDocumentMetadata || {}).deactivated === true;
  if (reply.ok || deactivated) {
    const document_ = result.didDocument || result.contentStream;
    if (deactivated) announce("resolve-status", did + " is deactivated (HTTP 410).", "error");
    else announce("resolve-status", "Resolved " + did + " (HTTP " + reply.status + ").", "ok");
    if (document_) parts.push(el("h3", {}, "DID document"), json(document_));
  } else {
    announce("resolve-status", "Could not resolve " + did + ": " + failure(reply), "error");
    parts.push(el("h3", {}, "Error"), el("p", { class: "error-box" }, "HTTP " + reply.status + " — " + failure(reply)));
  }
  if (metadata.cache) {
    const cache = metadata.cache;
    parts.push(
      el("h3", {}, "did:web cache"),
      facts([
        ["Served from cache", cache.hit ? "yes" : "no (fetched now)"],
        ["Stale", cache.stale ? "yes" + (cache.staleReason ? " — " + cache.staleReason : "") : "no"],
        ["Age", cache.ageSeconds !== undefined ? cache.ageSeconds + " s" : undefined],
        ["Lifetime", cache.ttlSeconds !== undefined ? cache.ttlSeconds + " s" : undefined],
        ["Revalidated", yesNo(cache.revalidated)],
        ["noCache limited", cache.noCacheLimited ? "yes: the cached copy was served" : undefined],
      ]),
    );
  }
  if (reply.body) {
    parts.push(el("h3", {}, "Resolution metadata"), json(metadata));
    if (result.didDocumentMetadata) parts.push(el("h3", {}, "Document metadata"), json(result.didDocumentMetadata));
  }
  show($("resolve-result"), parts);
  // did:webvh keeps a verified history: which keys were authorized when. Asked for the bare DID, after the
  // resolution is shown, so a slow history never holds up the document.
  const bare = did.split(/[?#/]/, 1)[0];
  if (/^did:webvh:/.test(bare)) $("resolve-result").append(await historyView(bare));
}

/** A long identifier shortened to its start and end; the whole of it on hover and for assistive technology. */
function shortened(value) {
  const full = text(value) || "";
  const short = full.length > 24 ? full.slice(0, 14) + "…" + full.slice(-6) : full;
  return el("code", { title: full, "aria-label": full }, short);
}

/** Each key of a list, shortened, one per line. */
function keyList(keys) {
  return keys.length ? el("ul", { class: "keys" }, keys.map((key) => el("li", {}, shortened(key)))) : "none";
}

/** The version history of a did:webvh DID from `/1.0/history/{did}`: one row per verified version. */
async function historyView(did) {
  const reply = await call("/1.0/history/" + enc(did));
  const section = el("div", { id: "resolve-history" }, el("h3", {}, "Version history"));
  const versions = reply.body && Array.isArray(reply.body.versions) ? reply.body.versions : null;
  if (!reply.ok || !versions) {
    section.append(el("p", { class: "error-box" }, "The history could not be read: HTTP " + reply.status + " — " +
      failure(reply)));
    return section;
  }
  const assertionKeys = (version) => (Array.isArray(version.verificationMethods) ? version.verificationMethods : [])
    .filter((method) => Array.isArray(method.relationships) && method.relationships.includes("assertionMethod"))
    // A Multikey is shown as itself; a JWK (an object) by its method's id.
    .map((method) => (typeof method.publicKey === "string" ? method.publicKey : text(method.id)));
  const rows = versions.map((version) => el("tr", { class: version.deactivated ? "deactivated" : undefined },
    el("td", {}, text(version.versionNumber)),
    el("td", {}, shortened(version.versionId)),
    el("td", {}, el("time", { datetime: text(version.versionTime) }, text(version.versionTime))),
    el("td", {}, keyList(Array.isArray(version.updateKeys) ? version.updateKeys : [])),
    el("td", {}, keyList(assertionKeys(version))),
    el("td", {}, version.deactivated ? badge("deactivated", "bad") : badge("active", "good")),
  ));
  section.append(
    el("p", { class: "muted" }, "Every version of the log, verified: each row's keys are those in force from its time " +
      "until the next version's. A credential is checked with the assertion keys of the version in force when it " +
      "was issued."),
    el("div", { class: "table-wrap" }, el("table", { class: "history" },
      el("caption", {}, versions.length + " verified version" + (versions.length === 1 ? "" : "s")),
      el("thead", {}, el("tr", {}, ["Version", "versionId", "versionTime", "Update keys", "Assertion keys", "State"]
        .map((name) => el("th", { scope: "col" }, name)))),
      el("tbody", {}, rows))),
  );
  const invalid = reply.body.invalidAfter;
  if (invalid) {
    section.append(el("p", { class: "error-box" }, "The log fails verification at entry " + text(invalid.entry) +
      " (" + text(invalid.rule) + "): " + text(invalid.detail) + ". Only the versions above were verified."));
  }
  return section;
}

// ---- registries -------------------------------------------------------------------------------------------------

let registries = [];

async function loadRegistries() {
  const reply = await call("/registries");
  registries = (reply.body && Array.isArray(reply.body.registries)) ? reply.body.registries : [];
  if (!reply.ok) {
    announce("registries-status", "Could not list the registries: " + failure(reply), "error");
    return;
  }
  announce("registries-status", registries.length + " registr" + (registries.length === 1 ? "y" : "ies") +
    " hosted on this node.");
  show($("registries-list"), registries.map(registryCard));
  const select = $("ask-authority");
  show(select, registries.map((registry) =>
    el("option", { value: registry.authority_id }, (registry.name || registry.authority_id))));
  if (registries.length) await loadAskEntities(select.value);
}

function registryCard(registry) {
  const published = registry.sequence !== undefined;
  const freshness = !published ? undefined : registry.stale
    ? [badge("stale", "bad"), " next update was due " + registry.next_update]
    : [badge("fresh", "good"), " next update due " + registry.next_update];
  return el("article", { class: "card" },
    el("h3", {}, registry.name || registry.authority_id),
    facts([
      ["Authority", el("code", {}, registry.authority_id)],
      ["Snapshot sequence", published ? String(registry.sequence) : "no snapshot published yet"],
      ["Issued", registry.issued],
      ["Freshness", freshness && el("span", {}, freshness)],
      ["Signature", published
        ? el("span", {}, badge("verified", "good"),
          " signed by a key of the authority and chained to its predecessor; this node serves nothing else")
        : undefined],
      ["Digest", registry.digest && el("code", {}, registry.digest)],
    ]),
    published ? el("button", { type: "button", onclick: () => openRegistry(registry.authority_id, "") },
      "Browse entities") : null);
}

function registryNamed(authorityId) {
  return registries.find((registry) => registry.authority_id === authorityId);
}

async function openRegistry(authorityId, time) {
  const registry = registryNamed(authorityId);
  const title = registry ? (registry.name || authorityId) : authorityId;
  announce("registries-status", "Loading the entities of " + title + "…");
  const query = "?limit=1000" + (time ? "&time=" + enc(time) : "");
  const reply = await call("/registries/" + enc(authorityId) + "/entities" + query);
  if (!reply.ok) {
    announce("registries-status", "Could not list the entities of " + title + ": " + failure(reply), "error");
    return;
  }
  const items = Array.isArray(reply.body.items) ? reply.body.items : [];
  const total = reply.body.pagination ? reply.body.pagination.total : items.length;
  announce("registries-status", "Showing " + items.length + " of " + total + " entities of " + title + ".", "ok");
  const timeInput = el("input", { id: "registry-time", type: "datetime-local", step: "1", value: fromUtc(time) });
  const timeForm = el("form", { class: "inline" },
    el("label", { for: "registry-time" }, "Statuses as of (UTC; empty means now)"), timeInput,
    el("button", { type: "submit" }, "Show"));
  timeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    openRegistry(authorityId, toUtc(timeInput.value));
  });
  const list = el("ul", { id: "entity-list", class: "entities" }, items.map((item) =>
    el("li", {},
      el("button", { type: "button", class: "link", onclick: () => openEntity(authorityId, item.entity_id, time) },
        item.name || item.entity_id),
      " ", el("code", {}, item.entity_id))));
  show($("registry-detail"),
    el("h3", { id: "entities-heading", tabindex: "-1" }, "Entities of " + title),
    timeForm, list, el("div", { id: "entity-detail" }), liveChanges(authorityId, registry));
}

/** The change feed stream of the registry view open, if it is followed (opening another view closes it). */
let liveFeed;

/**
 * A "Live changes" panel: once "Follow" is pressed, it follows the registry's Server-Sent Events from the sequence
 * listed on and shows each snapshot's event as it arrives, newest first. `#…&live.until=N` in the URL starts it on
 * load and stops it after snapshot N, for scripted runs (a headless browser waits for open streams to end).
 */
function liveChanges(authorityId, registry) {
  if (liveFeed) liveFeed.close();
  liveFeed = undefined;
  const since = registry && registry.sequence !== undefined ? registry.sequence : 0;
  const until = Number(new URLSearchParams(location.hash.slice(1)).get("live.until")) || undefined;
  const status = el("p", { id: "live-status", class: "status", role: "status", "aria-live": "polite" },
    "Not following: press Follow to see new snapshots as they are published.");
  const events = el("ol", { id: "live-events", class: "entities", reversed: true });
  const button = el("button", { type: "button" }, "Follow");
  const stop = (why, kind) => {
    if (liveFeed) liveFeed.close();
    liveFeed = undefined;
    button.textContent = "Follow";
    status.textContent = why;
    status.className = "status" + (kind ? " " + kind : "");
  };
  const follow = () => {
    if (liveFeed) return stop("Stopped following.");
    const feed = new EventSource("/registries/" + enc(authorityId) + "/changes?since=" + since);
    liveFeed = feed;
    button.textContent = "Stop";
    status.textContent = "Following changes after snapshot " + since + "…";
    feed.addEventListener("open", () => {
      status.textContent = "Live: new snapshots appear here as they are published.";
      status.className = "status ok";
    });
    feed.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      events.prepend(liveEvent(event));
      if (until !== undefined && event.sequence >= until) stop("Stopped after snapshot " + event.sequence + ".", "ok");
    });
    feed.addEventListener("error", (message) => {
      // The node's own `error` event carries a problem and ends the stream; a dropped connection has no data,
      // and the browser reconnects from the last event id.
      if (!message.data) {
        status.textContent = "Live changes: connection lost; reconnecting…";
        status.className = "status error";
        return;
      }
      let detail;
      try {
        detail = JSON.parse(message.data).detail;
      } catch (error) {
        detail = undefined;
      }
      stop("Live changes ended: " + (detail || String(message.data)), "error");
    });
  };
  button.addEventListener("click", follow);
  if (until !== undefined) follow();
  return el("section", { class: "card", "aria-labelledby": "live-heading" },
    el("h3", { id: "live-heading" }, "Live changes"), button, status, events);
}

/** One change event: its sequence, issue time and each changed statement with its latest status. */
function liveEvent(event) {
  const header = event.header || {};
  const changes = Array.isArray(event.changes) ? event.changes : [];
  return el("li", { class: "live-event", "data-sequence": event.sequence },
    el("strong", {}, "Snapshot " + event.sequence), " issued " + text(header.issued) + ", " + changes.length +
      (changes.length === 1 ? " change" : " changes"),
    el("ul", {}, changes.map((change) => {
      const statement = change.statement || {};
      const history = Array.isArray(statement.history) ? statement.history : [];
      const latest = history.length ? history[history.length - 1] : {};
      return el("li", {}, badge(text(change.change), "neutral"), " ", el("code", {}, text(statement.id)), " ",
        text(statement.entity_id) + " may " + text(statement.action) + " " + text(statement.resource) + ": ",
        statusBadge(latest.status));
    })));
}

async function openEntity(authorityId, entityId, time) {
  const query = time ? "?time=" + enc(time) : "";
  const reply = await call("/registries/" + enc(authorityId) + "/entities/" + enc(entityId) + query);
  const detail = $("entity-detail");
  if (!detail) return;
  if (!reply.ok) {
    announce("registries-status", "Could not load " + entityId + ": " + failure(reply), "error");
    return;
  }
  const entity = reply.body;
  const metadata = entity.metadata || {};
  const statements = Array.isArray(entity.statements) ? entity.statements : [];
  announce("registries-status", (metadata.name || entityId) + ": " + statements.length + " statement" +
    (statements.length === 1 ? "" : "s") + " as of " + entity.time_evaluated + ".", "ok");
  show(detail,
    el("h4", {}, metadata.name || entityId),
    facts([
      ["DID", el("code", {}, entityId)],
      ["Legal name", metadata.legal_name],
      ["Home page", metadata.homepage],
      ["Location", metadata.location],
      ["Credential Engine CTID", metadata.ctid],
      ["ROR id", metadata.ror_id],
      ["Logo", metadata.logo],
      ["Evaluated at", entity.time_evaluated],
      ["Registry sequence", String(entity.registry_sequence)],
    ]),
    el("ol", { class: "statements" }, statements.map((item) => statementCard(authorityId, item))));
}

function statementCard(authorityId, item) {
  const statement = item.statement || {};
  const history = Array.isArray(statement.history) ? statement.history : [];
  return el("li", { class: "card" },
    el("h5", {}, statement.id + ": ", statement.kind + " to " + statement.action + " ", el("code", {}, statement.resource)),
    el("p", {}, statusBadge(item.status), item.reason ? " " + item.reason : ""),
    facts([
      ["Valid from", statement.valid_from],
      ["Valid until", statement.valid_until || "no end date"],
    ]),
    el("p", { class: "muted" }, "History"),
    el("ol", { class: "history" }, history.map((change) =>
      el("li", {}, change.since + " ", statusBadge(change.status), change.reason ? " — " + change.reason : ""))),
    statement.kind === "authorization"
      ? el("button", { type: "button", onclick: () => prefillQuestion(authorityId, statement) }, "Ask about this")
      : null);
}

// ---- authorization ----------------------------------------------------------------------------------------------

async function loadAskEntities(authorityId) {
  const reply = await call("/registries/" + enc(authorityId) + "/entities?limit=1000");
  const items = reply.ok && Array.isArray(reply.body.items) ? reply.body.items : [];
  show($("ask-entities"), items.map((item) => el("option", { value: item.entity_id }, item.name || item.entity_id)));
}

function prefillQuestion(authorityId, statement) {
  $("ask-authority").value = authorityId;
  $("ask-entity").value = statement.entity_id;
  $("ask-action").value = statement.action;
  $("ask-resource").value = statement.resource;
  $("ask-entity").focus();
}

async function ask() {
  const question = {
    entity_id: $("ask-entity").value.trim(),
    authority_id: $("ask-authority").value,
    action: $("ask-action").value.trim(),
    resource: $("ask-resource").value.trim(),
  };
  const time = toUtc($("ask-time").value);
  if (time) question.context = { time };
  announce("authorize-status", "Asking…");
  const reply = await call("/authorization", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(question),
  });
  if (!reply.ok) {
    announce("authorize-status", "No answer: " + failure(reply), "error");
    show($("authorize-result"), el("p", { class: "error-box" }, "HTTP " + reply.status + " — " + failure(reply)));
    return;
  }
  const answer = reply.body;
  const verdict = answer.authorized ? "Authorized" : "Not authorized";
  announce("authorize-status", "Answer: " + verdict.toLowerCase() + " (" + String(answer.status) + ").",
    answer.authorized ? "ok" : "error");
  show($("authorize-result"), el("article", { class: "card answer", id: "answer" },
    el("h3", {}, badge(verdict, answer.authorized ? "good" : "bad")),
    facts([
      ["Status", statusBadge(answer.status)],
      ["Reason", answer.reason],
      ["Message", answer.message],
      ["Statement", answer.statement_id],
      ["Valid from", answer.valid_from],
      ["Valid until", answer.valid_until],
      ["Time asked", answer.time_requested],
      ["Time evaluated", answer.time_evaluated],
      ["Registry sequence", answer.registry_sequence !== undefined ? String(answer.registry_sequence) : undefined],
      ["Registry stale", yesNo(answer.registry_stale)],
      ["Snapshot digest", answer.snapshot_digest && el("code", {}, answer.snapshot_digest)],
    ]),
    el("details", {}, el("summary", {}, "Raw answer"), json(answer))));
}

// ---- verification -----------------------------------------------------------------------------------------------

/** Files larger than this are not read: the node refuses far smaller bodies, and the textarea would freeze. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const CHECK_TONES = { passed: "good", warning: "warn", failed: "bad" };

function typesOf(document_) {
  const type = document_ && document_.type;
  return (Array.isArray(type) ? type : [type]).filter((item) => typeof item === "string");
}

/** Text of a value that should be a string; anything else (a hostile object, say) is shown as JSON. */
function text(value) {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The id of an issuer or holder given as a string or as an object with an `id`. */
function party(value) {
  return value && typeof value === "object" ? text(value.id) : text(value);
}

async function verifyDocument(source, challenge, domain) {
  let document_;
  try {
    document_ = JSON.parse(source);
  } catch (error) {
    announce("verify-status", "Not sent: the text is not JSON (" + error.message + ").", "error");
    show($("verify-result"), el("p", { class: "error-box", id: "verify-error" },
      "The document could not be read as JSON: " + error.message));
    return;
  }
  const presentation = typesOf(document_).includes("VerifiablePresentation");
  const options = {};
  if (presentation && challenge) options.challenge = challenge;
  if (presentation && domain) options.domain = domain;
  const request = {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(presentation
      ? { verifiablePresentation: document_, options }
      : { verifiableCredential: document_, options }),
  };
  const what = presentation ? "presentation" : "credential";
  announce("verify-status", "Verifying the " + what + "…");
  const reply = presentation
    ? await call("/presentations/verify", request)
    : await call("/credentials/verify", request);
  const verdict = reply.body;
  if (!verdict || typeof verdict.verified !== "boolean") {
    announce("verify-status", "The node did not verify the " + what + ": " + failure(reply), "error");
    show($("verify-result"), el("p", { class: "error-box", id: "verify-error" },
      "HTTP " + reply.status + " — " + failure(reply)));
    return;
  }
  const errors = Array.isArray(verdict.errors) ? verdict.errors.length : 0;
  announce("verify-status", verdict.verified
    ? "The " + what + " is verified."
    : "The " + what + " is not verified: " + errors + " error" + (errors === 1 ? "" : "s") + ".",
    verdict.verified ? "ok" : "error");
  show($("verify-result"), el("article", { class: "card verdict", id: "verdict" },
    verdictView(verdict, document_, presentation ? "Presentation" : "Credential", 3),
    el("details", {}, el("summary", {}, "Raw verdict"), json(verdict))));
}

/** A verdict: the outcome, what was verified, and one row per check; nested verdicts recurse, more compactly. */
function verdictView(verdict, document_, label, level) {
  const heading = "h" + Math.min(level, 6);
  const outcome = verdict.verified ? badge("VERIFIED", "good") : badge("NOT VERIFIED", "bad");
  const subject = document_ && typeof document_ === "object" ? document_ : {};
  const parts = [
    el(heading, { class: "outcome" }, outcome, " ", label, subject.name !== undefined ? ": " : "",
      subject.name !== undefined ? el("span", { class: "document-name" }, text(subject.name)) : null),
    facts([
      ["Type", typesOf(subject).join(", ")],
      ["Issuer", party(subject.issuer) && el("code", {}, party(subject.issuer))],
      ["Issuer name", subject.issuer && typeof subject.issuer === "object" ? text(subject.issuer.name) : undefined],
      ["Holder", party(subject.holder) && el("code", {}, party(subject.holder))],
    ]),
  ];
  const checks = Array.isArray(verdict.checks) ? verdict.checks : [];
  parts.push(el("ol", { class: "checks" }, checks.map((check) => checkRow(verdict, check, subject, level + 1))));
  const held = Array.isArray(verdict.credentials) ? verdict.credentials : [];
  const documents = Array.isArray(subject.verifiableCredential) ? subject.verifiableCredential : [subject.verifiableCredential];
  if (held.length) {
    parts.push(el(heading, {}, "Presented credentials"), el("ol", { class: "nested" }, held.map((inner, n) =>
      el("li", { class: "card" }, verdictView(inner, documents[n], "Credential " + n, level + 1)))));
  }
  return el("div", {}, parts);
}

/** One check: passed, warning or failed, its errors and warnings (code and message), and its evidence. */
function checkRow(verdict, check, document_, level) {
  const mine = (list) => (Array.isArray(list) ? list : []).filter((finding) => finding && finding.check === check);
  const errors = mine(verdict.errors);
  const warnings = mine(verdict.warnings);
  const state = errors.length ? "failed" : warnings.length ? "warning" : "passed";
  const findings = [...errors.map((f) => ["error", f]), ...warnings.map((f) => ["warning", f])];
  const evidence = verdict.trustnode && typeof verdict.trustnode === "object" ? verdict.trustnode : {};
  return el("li", { class: "check", "data-check": text(check), "data-state": state },
    el("p", { class: "check-name" }, badge(state, CHECK_TONES[state]), " ", el("strong", {}, text(check))),
    findings.length ? el("ul", { class: "findings" }, findings.map(([kind, finding]) =>
      el("li", { class: kind }, el("code", {}, text(finding.code)), " ", text(finding.message)))) : null,
    evidenceView(check, evidence, document_, level));
}

function evidenceView(check, evidence, document_, level) {
  const value = evidence[check];
  switch (check) {
    case "credential":
      return value && facts([
        ["Id", text(value.id)],
        ["Most specific LER type", text(value.lerType)],
        ["Data model", value.dataModel && "VC " + text(value.dataModel)],
      ]);
    case "presentation":
      return value && facts([
        ["Holder", text(value.holder)],
        ["Data model", value.dataModel && "VC " + text(value.dataModel)],
        ["Credentials", text(value.credentials)],
      ]);
    case "proof":
      return Array.isArray(value) && value.length ? el("ol", { class: "evidence" }, value.map(proofView)) : null;
    case "issuer":
      // A DID with history (did:webvh) names the version its keys were taken from.
      if (value && value.version) return issuerVersionView(value);
      // Otherwise the issuer's key is found while checking each proof, so its evidence is there.
      return Array.isArray(evidence.proof) && evidence.proof.length
        ? el("p", { class: "muted" }, "Each proof's verification method, its DID resolution and key are shown under proof.")
        : null;
    case "validity":
      return value && facts([
        ["Valid from", text(value.validFrom) || "no start date"],
        ["Valid until", text(value.validUntil) || "no end date"],
        ["Checked at", text(value.checkedAt)],
        ["Clock skew tolerated", value.toleranceSeconds !== undefined ? text(value.toleranceSeconds) + " s" : undefined],
        ["In force", yesNo(value.inForce)],
        ["Result", text(value.message)],
      ]);
    case "trust":
      return value && trustView(value);
    case "nested": {
      const subject = document_.credentialSubject || {};
      const documents = Array.isArray(subject.verifiableCredential) ? subject.verifiableCredential : [];
      return Array.isArray(value) && value.length ? el("ol", { class: "nested" }, value.map((inner, n) =>
        el("li", { class: "card" }, verdictView(inner, documents[n], "Nested credential " + n, level)))) : null;
    }
    default:
      return value === undefined ? null : genericView(value);
  }
}

function issuerVersionView(issuer) {
  const version = issuer.version || {};
  const asOf = issuer.asOf || {};
  const moment = asOf.time ? text(asOf.source) + " " + text(asOf.time)
    : asOf.source === "presentation" ? "now (a presentation)" : "now (no issuance time)";
  return facts([
    ["DID", el("code", {}, text(issuer.id))],
    ["Version in force at", moment],
    ["Version", text(version.versionNumber)],
    ["versionId", version.versionId && shortened(version.versionId)],
    ["versionTime", text(version.versionTime)],
    ["Latest version", version.latest ? "yes" : "no — updated " + text(issuer.updated)],
    ["Deactivated", issuer.deactivated ? "yes, at " + text(issuer.deactivatedAt) : "no"],
  ]);
}

function proofView(proof) {
  const resolution = proof.resolution || {};
  const key = proof.key || {};
  return el("li", {}, facts([
    ["Verified", proof.verified === true ? badge("signature verified", "good") : badge("not verified", "bad")],
    ["Type", text(proof.type)],
    ["Cryptosuite", text(proof.cryptosuite)],
    ["Verification method", proof.verificationMethod && el("code", {}, text(proof.verificationMethod))],
    ["Purpose", text(proof.proofPurpose)],
    ["Created", text(proof.created)],
    ["Resolved with", resolution.method && "did:" + text(resolution.method)],
    ["From the did:web cache", resolution.cache ? yesNo(resolution.cache.hit) : undefined],
    ["Key type", text(key.type)],
    ["Public key", key.publicKeyMultibase && el("code", {}, text(key.publicKeyMultibase))],
  ]));
}

function trustView(trust) {
  const answers = Array.isArray(trust.answers) ? trust.answers : [];
  return el("div", {},
    el("p", {}, "Asked: may ", el("code", {}, text(trust.entity_id)), " " + text(trust.action) + " ",
      el("code", {}, text(trust.resource)), "?"),
    answers.length ? el("ol", { class: "evidence" }, answers.map((answer) => el("li", { class: "trust-answer" }, facts([
      ["Authority", el("code", { class: "authority" }, text(answer.authority_id))],
      ["Authorized", answer.error ? undefined
        : answer.authorized ? badge("authorized", "good") : badge("not authorized", "bad")],
      ["Status", answer.status !== undefined ? statusBadge(answer.status) : undefined],
      ["Reason", text(answer.reason)],
      ["Message", text(answer.message || answer.error)],
      ["Statement", text(answer.statement_id)],
      ["Snapshot sequence", text(answer.registry_sequence)],
      ["Snapshot digest", answer.snapshot_digest && el("code", {}, text(answer.snapshot_digest))],
      ["Registry stale", yesNo(answer.registry_stale)],
      ["Chain", Array.isArray(answer.chain) && answer.chain.length ? el("ol", {}, answer.chain.map((link) =>
        el("li", {}, el("code", {}, text(link.authority_id)), " statement " + text(link.statement_id) +
          " at snapshot " + text(link.registry_sequence)))) : undefined],
    ])))) : el("p", { class: "muted" }, "No registry was asked."));
}

/** Evidence of a check this page has no special view for (status entries, say): its fields, objects as JSON. */
function genericView(value) {
  const items = Array.isArray(value) ? value : [value];
  return el("ol", { class: "evidence" }, items.map((item) => el("li", {},
    item && typeof item === "object" && !Array.isArray(item)
      ? facts(Object.entries(item).map(([name, field]) =>
        [name, field !== null && typeof field === "object" ? json(field) : text(field)]))
      : text(item))));
}

async function loadFile(file) {
  if (!file) return;
  if (file.size > MAX_FILE_BYTES) {
    announce("verify-status", file.name + " is too large to verify here (" + file.size + " bytes; at most " +
      MAX_FILE_BYTES + ").", "error");
    return;
  }
  $("verify-document").value = await file.text();
  announce("verify-status", "Loaded " + file.name + " (" + file.size + " bytes): press Verify.");
}

// ---- start ------------------------------------------------------------------------------------------------------

async function applyHash() {
  const state = new URLSearchParams(location.hash.slice(1));
  const pending = [];
  if (state.get("resolve")) {
    $("resolve-did").value = state.get("resolve");
    pending.push(resolve(state.get("resolve"), false));
  }
  if (state.get("registry")) {
    const time = state.get("time") || "";
    pending.push(openRegistry(state.get("registry"), time).then(() =>
      state.get("entity") ? openEntity(state.get("registry"), state.get("entity"), time) : undefined));
  }
  if (state.get("ask.action")) {
    if (state.get("ask.authority")) $("ask-authority").value = state.get("ask.authority");
    $("ask-entity").value = state.get("ask.entity") || "";
    $("ask-action").value = state.get("ask.action");
    $("ask-resource").value = state.get("ask.resource") || "";
    $("ask-time").value = fromUtc(state.get("ask.time"));
    pending.push(ask());
  }
  if (state.get("verify")) {
    $("verify-document").value = state.get("verify");
    $("verify-challenge").value = state.get("verify.challenge") || "";
    $("verify-domain").value = state.get("verify.domain") || "";
    pending.push(verifyDocument(state.get("verify"), state.get("verify.challenge"), state.get("verify.domain")));
  }
  await Promise.all(pending);
}

document.addEventListener("DOMContentLoaded", async () => {
  $("resolve-form").addEventListener("submit", (event) => {
    event.preventDefault();
    resolve($("resolve-did").value.trim(), $("resolve-nocache").checked);
  });
  $("authorize-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask();
  });
  $("ask-authority").addEventListener("change", (event) => loadAskEntities(event.target.value));
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    verifyDocument($("verify-document").value, $("verify-challenge").value.trim(), $("verify-domain").value.trim());
  });
  $("verify-file").addEventListener("change", (event) => loadFile(event.target.files[0]));
  const target = $("verify-document");
  target.addEventListener("dragover", (event) => {
    if (event.dataTransfer.types.includes("Files")) event.preventDefault();
  });
  target.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    loadFile(event.dataTransfer.files[0]);
  });
  await Promise.all([loadNodeState(), loadRegistries()]);
  await applyHash();
  document.body.dataset.ready = "true";
});
