// A small Fedify server for Yinhu's interop tests (tests/interop/test_fedify.py).
//
//   node peer.mjs PORT
//
// It serves one Group actor, `events`, on http://127.0.0.1:PORT with an RSA key (HTTP
// signatures) and an Ed25519 key (object integrity proofs), and a second actor, the Person
// `reader` (its own keys, a personal inbox only: no shared inbox, so what reaches it is seen apart), built with Fedify's own
// federation, vocabulary, signing and verification: nobody on the Yinhu team wrote the parts
// that decide what is valid. Inbox listeners record what arrives; Fedify calls them only for
// requests whose signatures it verified, so /_test/received lists only verified activities.
//
// Control endpoints for the Python test (JSON in, JSON out):
//   GET  /_test/health                 -> {"ok": true, "actor": URL, "fedify": VERSION}
//   GET  /_test/received               -> {"activities": [...], "sent": [...]}: verified deliveries
//        received, in order, and every POST this peer sent ({url, spec, status}, double-knocks too)
//   POST /_test/lookup {"handle"|"url"} -> Fedify's lookupObject, described (see describe())
//   POST /_test/fetch-gone {"url"}     -> fetch an URL that should answer 410, parse its Tombstone
//   POST /_test/nodeinfo {"url"}       -> NodeInfo discovery, parsed by Fedify's parseNodeInfo
//   POST /_test/follow {"actor", "as"} -> events (or "as": "reader") sends Follow to that actor; {"id": FOLLOW_ID}
//   POST /_test/submit-event {"community", ...} -> events sends Create(Event) addressed to that
//        group (to Public and the group, cc its followers), as a member submitting to it;
//        {"id": EVENT_ID, "activity": CREATE_ID}
//   POST /_test/publish-event {...}    -> events sends Create(Event with a Place) to its followers
//   POST /_test/reply {"actor", "inReplyTo", "text", "public"} -> events sends Create(Note) replying
//        to inReplyTo and mentioning that actor, to the actor's inbox; public (default) addresses
//        Public (cc the actor), else only the actor; {"id": NOTE_ID, "activity": CREATE_ID}
//   POST /_test/send-bad {"kind", "inbox", "spec"} -> a hand-signed Create(Event) to that inbox;
//        kind "good" (signed right), "wrong-key" (signed with a key that is not the actor's,
//        under the actor's key id) or "altered-body" (signed right, body changed afterwards);
//        answers {"status": N, "body": TEXT} with the inbox's answer.
//
// Loopback only, and test only: Fedify is told to allow private addresses, and WebFinger's
// `acct:` lookups (always https in Fedify) are rewritten to http for 127.0.0.1/localhost.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
  parseNodeInfo,
  signRequest,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Delete,
  Endpoints,
  Event,
  Follow,
  getTypeId,
  Group,
  isActor,
  Mention,
  Note,
  Object as APObject,
  Person,
  Place,
  PUBLIC_COLLECTION,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";
import jsonld from "jsonld";

const PORT = Number(process.argv[2] ?? process.env.PEER_PORT ?? 0);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const ORIGIN = `http://127.0.0.1:${PORT}`;
const IDENTIFIER = "events";
const READER = "reader";
const FEDIFY_VERSION = JSON.parse(
  readFileSync(new URL("./node_modules/@fedify/fedify/package.json", import.meta.url), "utf-8"),
).version;

await configure({
  sinks: { console: getConsoleSink() },
  contextLocalStorage: new AsyncLocalStorage(),
  loggers: [
    { category: "fedify", sinks: ["console"], lowestLevel: process.env.PEER_LOG_LEVEL ?? "info" },
    { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
  ],
});

// --- loopback WebFinger over http ----------------------------------------------------------------
// Fedify always asks https://HOST/.well-known/webfinger for an acct: handle; our servers on
// 127.0.0.1 speak http only. Rewrite that one case, nothing else.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.protocol === "https:" && ["127.0.0.1", "localhost"].includes(url.hostname)) {
    url.protocol = "http:";
    input = input instanceof Request ? new Request(url, input) : url;
  }
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (method !== "POST") return realFetch(input, init);
  // Record every delivery attempt: where, signed how, answered what (double-knock shows here).
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const attempt = { url: url.href, spec: specOf(headers), status: null };
  sent.push(attempt);
  return realFetch(input, init).then(
    (res) => { attempt.status = res.status; return res; },
    (err) => { attempt.status = `error: ${err}`; throw err; },
  );
};

// --- state ----------------------------------------------------------------------------------------
const newKeyPairs = async () => [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
const keyPairs = { [IDENTIFIER]: await newKeyPairs(), [READER]: await newKeyPairs() };
const received = []; // verified activities, described
const sent = []; // outgoing POSTs: {url, spec, status}
const rawBodies = new Map(); // activity id -> {raw, spec} of the POST that carried it
const followers = new Map(); // actor id -> Actor (Fedify object), accepted followers
const events = new Map(); // id -> Event published by `events`
const documentLoader = getDocumentLoader({ allowPrivateAddress: true });

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin: ORIGIN,
  allowPrivateAddress: true, // 127.0.0.1 peers; test only
  // No queue: sendActivity delivers at once and reports failures to the caller.
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier === READER) return readerActor(ctx);
    if (identifier !== IDENTIFIER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Group({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify events group",
      summary: "Interop test peer (Fedify)",
      url: new URL(`/@${identifier}`, ORIGIN),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
      manuallyApprovesFollowers: false,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => keyPairs[identifier] ?? []);

async function readerActor(ctx) {
  const keys = await ctx.getActorKeyPairs(READER);
  return new Person({
    id: ctx.getActorUri(READER),
    preferredUsername: READER,
    name: "Fedify reader",
    inbox: ctx.getInboxUri(READER),
    outbox: ctx.getOutboxUri(READER),
    followers: ctx.getFollowersUri(READER),
    publicKey: keys[0].cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
  });
}

federation.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) => {
  if (identifier === READER) return { items: [] };
  if (identifier !== IDENTIFIER) return null;
  return { items: [...followers.values()] };
});

federation.setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier) => {
  if (identifier !== IDENTIFIER && identifier !== READER) return null;
  return { items: [] };
});

federation.setObjectDispatcher(Event, "/events/{id}", async (ctx, values) => events.get(values.id) ?? null);

async function record(ctx, activity) {
  const id = activity.id?.href ?? null;
  const carried = id ? rawBodies.get(id) : undefined;
  let object = null;
  try {
    const obj = await activity.getObject({ documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
    object = obj ? await describe(obj, ctx.documentLoader) : null;
  } catch (e) {
    object = { error: String(e) };
  }
  const entry = {
    type: typeName(activity),
    id,
    actor: activity.actorId?.href ?? null,
    objectId: activity.objectId?.href ?? null,
    object,
    to: activity.toIds.map((u) => u.href),
    cc: activity.ccIds.map((u) => u.href),
    signature: carried?.spec ?? null,
    recipient: ctx.recipient ?? null, // the actor whose personal inbox it came to (null: the shared inbox)
    raw: carried ? JSON.parse(carried.raw) : null,
    expanded: null,
  };
  if (carried) {
    try {
      entry.expanded = await jsonld.expand(JSON.parse(carried.raw), { documentLoader });
    } catch (e) {
      entry.expanded = { error: String(e) };
    }
  }
  received.push(entry);
  return entry;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(IDENTIFIER).href) return;
    const follower = await follow.getActor(ctx);
    if (follower == null || !isActor(follower)) return;
    followers.set(follower.id.href, follower);
    // Auto-accept, as Mastodon does for an account that does not lock followers.
    await ctx.sendActivity(
      { identifier: IDENTIFIER },
      follower,
      new Accept({
        id: new URL(`/activities/${randomUUID()}`, ORIGIN),
        actor: ctx.getActorUri(IDENTIFIER),
        object: follow,
      }),
    );
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const inner = await undo.getObject(ctx);
    if (inner instanceof Follow && undo.actorId) followers.delete(undo.actorId.href);
  })
  .on(Activity, async (ctx, activity) => {
    await record(ctx, activity);
  })
  .onError((_ctx, error) => {
    console.error("inbox listener error:", error);
  });

// --- describing parsed objects --------------------------------------------------------------------
function typeName(obj) {
  const id = getTypeId(obj).href;
  return id.replace("https://www.w3.org/ns/activitystreams#", "");
}

const str = (v) => (v == null ? null : v.toString());
const href = (u) => (u == null ? null : u.href);

async function describe(obj, loader) {
  const opts = { documentLoader: loader ?? documentLoader, contextLoader: documentLoader, suppressError: true };
  const d = {
    id: href(obj.id),
    type: typeName(obj),
    name: str(obj.name),
    summary: str(obj.summary),
    content: str(obj.content),
    mediaType: obj.mediaType ?? null,
    url: obj.url instanceof URL ? obj.url.href : str(obj.url?.href),
    attributedTo: obj.attributionIds?.map((u) => u.href) ?? [],
    to: obj.toIds?.map((u) => u.href) ?? [],
    cc: obj.ccIds?.map((u) => u.href) ?? [],
    published: str(obj.published),
    updated: str(obj.updated),
    startTime: str(obj.startTime),
    endTime: str(obj.endTime),
    tags: [],
  };
  try {
    for await (const tag of obj.getTags(opts)) d.tags.push({ type: typeName(tag), name: str(tag.name), href: href(tag.href) });
  } catch (e) {
    d.tags = { error: String(e) };
  }
  if (obj instanceof Place) {
    Object.assign(d, { latitude: obj.latitude ?? null, longitude: obj.longitude ?? null });
  }
  if (typeof obj.getLocation === "function") {
    try {
      const loc = await obj.getLocation(opts);
      d.location = loc == null ? null : {
        id: href(loc.id),
        type: typeName(loc),
        name: str(loc.name),
        latitude: loc.latitude ?? null,
        longitude: loc.longitude ?? null,
      };
    } catch (e) {
      d.location = { error: String(e) };
    }
  }
  if (typeName(obj) === "Tombstone") {
    d.deleted = str(obj.deleted);
  }
  if (isActor(obj)) {
    Object.assign(d, {
      preferredUsername: str(obj.preferredUsername),
      inbox: href(obj.inboxId),
      outbox: href(obj.outboxId),
      followers: href(obj.followersId),
      following: href(obj.followingId),
      sharedInbox: href(obj.endpoints?.sharedInbox),
      manuallyApprovesFollowers: obj.manuallyApprovesFollowers ?? null,
    });
    const key = await obj.getPublicKey(opts);
    d.publicKey = key == null ? null : {
      id: href(key.id),
      owner: href(key.ownerId),
      algorithm: key.publicKey?.algorithm?.name ?? null,
    };
    for (const [prop, getter] of [["outboxCollection", "getOutbox"], ["followersCollection", "getFollowers"]]) {
      try {
        const c = await obj[getter](opts);
        d[prop] = c == null ? null : { id: href(c.id), type: typeName(c), totalItems: c.totalItems ?? null };
      } catch (e) {
        d[prop] = { error: String(e) };
      }
    }
  }
  return d;
}

// --- control endpoints ----------------------------------------------------------------------------
const json = (value, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });

async function expand(doc) {
  try {
    return await jsonld.expand(doc, { documentLoader });
  } catch (e) {
    return { error: String(e) };
  }
}

function makeEvent(ctx, spec, addressing = { to: PUBLIC_COLLECTION }) {
  const id = randomUUID();
  const start = Temporal.Instant.from(spec.start ?? "2031-07-01T11:00:00Z");
  const end = Temporal.Instant.from(spec.end ?? "2031-07-01T13:00:00Z");
  const event = new Event({
    id: ctx.getObjectUri(Event, { id }),
    attribution: ctx.getActorUri(IDENTIFIER),
    name: spec.title ?? "Fedify lakeside meetup",
    content: spec.content ?? "<p>Hosted by a Fedify peer.</p>",
    mediaType: "text/html",
    startTime: start,
    endTime: end,
    location: new Place({
      name: spec.place?.name ?? "Silver Lake Pavilion",
      latitude: spec.place?.latitude ?? 30.2741,
      longitude: spec.place?.longitude ?? 120.1551,
    }),
    published: Temporal.Now.instant(),
    ...addressing,
    cc: ctx.getFollowersUri(IDENTIFIER),
  });
  return { id, event };
}

async function control(request, url) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const body = request.method === "POST" ? await request.json() : {};
  switch (`${request.method} ${url.pathname}`) {
    case "GET /_test/health":
      return json({ ok: true, actor: ctx.getActorUri(IDENTIFIER).href, fedify: FEDIFY_VERSION, node: process.version });
    case "GET /_test/received":
      return json({ activities: received, sent });
    case "POST /_test/lookup": {
      const target = body.handle ?? body.url;
      const obj = await ctx.lookupObject(target, { documentLoader });
      if (obj == null) return json({ found: false, target }, 404);
      const raw = (await documentLoader(obj.id.href)).document;
      return json({ found: true, target, object: await describe(obj), expanded: await expand(raw) });
    }
    case "POST /_test/fetch-gone": {
      const res = await fetch(body.url, { headers: { Accept: "application/activity+json" } });
      const text = await res.text();
      let object = null;
      let expanded = null;
      try {
        const doc = JSON.parse(text);
        object = await describe(await APObject.fromJsonLd(doc, { documentLoader, contextLoader: documentLoader }));
        expanded = await expand(doc);
      } catch (e) {
        object = { error: String(e) };
      }
      return json({ status: res.status, object, expanded });
    }
    case "POST /_test/nodeinfo": {
      const base = new URL(body.url);
      const wk = await (await fetch(new URL("/.well-known/nodeinfo", base))).json();
      const link = wk.links.find((l) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1")
        ?? wk.links.find((l) => l.rel === "http://nodeinfo.diaspora.software/ns/schema/2.0");
      const doc = await (await fetch(link.href)).json();
      const parsed = parseNodeInfo(doc, { parse: "strict" });
      if (parsed == null) return json({ parsed: null, link: link.href }, 422);
      return json({
        link: link.href,
        parsed: {
          version: parsed.version ?? null,
          software: { name: parsed.software.name, version: parsed.software.version?.toString?.() ?? String(parsed.software.version) },
          protocols: parsed.protocols,
          openRegistrations: parsed.openRegistrations,
          usage: parsed.usage,
        },
      });
    }
    case "POST /_test/follow": {
      const target = await ctx.lookupObject(body.actor, { documentLoader });
      if (target == null || !isActor(target)) return json({ error: `no actor at ${body.actor}` }, 404);
      const as = body.as === READER ? READER : IDENTIFIER;
      const follow = new Follow({
        id: new URL(`/activities/${randomUUID()}`, ORIGIN),
        actor: ctx.getActorUri(as),
        object: target.id,
      });
      await ctx.sendActivity({ identifier: as }, target, follow);
      return json({ id: follow.id.href });
    }
    case "POST /_test/submit-event": {
      const group = await ctx.lookupObject(body.community, { documentLoader });
      if (group == null || !isActor(group)) return json({ error: `no actor at ${body.community}` }, 404);
      const { id, event } = makeEvent(ctx, body, { tos: [PUBLIC_COLLECTION, group.id] });
      events.set(id, event);
      const create = new Create({
        id: new URL(`/activities/${randomUUID()}`, ORIGIN),
        actor: ctx.getActorUri(IDENTIFIER),
        object: event,
        tos: [PUBLIC_COLLECTION, group.id],
        cc: ctx.getFollowersUri(IDENTIFIER),
      });
      await ctx.sendActivity({ identifier: IDENTIFIER }, group, create);
      return json({ id: event.id.href, activity: create.id.href });
    }
    case "POST /_test/publish-event": {
      if (followers.size === 0) return json({ error: "no followers yet" }, 409);
      const { id, event } = makeEvent(ctx, body);
      events.set(id, event);
      const create = createOf(ctx, event, { published: Temporal.Now.instant() });
      await ctx.sendActivity({ identifier: IDENTIFIER }, "followers", create, { preferSharedInbox: true });
      return json({ id: event.id.href, activity: create.id.href, followers: [...followers.keys()] });
    }
    case "POST /_test/reply": {
      const target = await ctx.lookupObject(body.actor, { documentLoader });
      if (target == null || !isActor(target)) return json({ error: `no actor at ${body.actor}` }, 404);
      const open = body.public ?? true;
      const handle = `@${target.preferredUsername}@${target.id.host}`;
      const note = new Note({
        id: new URL(`/notes/${randomUUID()}`, ORIGIN),
        attribution: ctx.getActorUri(IDENTIFIER),
        replyTarget: new URL(body.inReplyTo),
        content: `<p><a href="${target.url?.href ?? target.id.href}" class="u-url mention">${handle}</a> ${body.text}</p>`,
        mediaType: "text/html",
        tags: [new Mention({ href: target.id, name: handle })],
        published: Temporal.Now.instant(),
        tos: open ? [PUBLIC_COLLECTION] : [target.id],
        ccs: open ? [target.id, ctx.getFollowersUri(IDENTIFIER)] : [],
      });
      const create = new Create({
        id: new URL(`/activities/${randomUUID()}`, ORIGIN),
        actor: ctx.getActorUri(IDENTIFIER),
        object: note,
        tos: note.toIds,
        ccs: note.ccIds,
      });
      await ctx.sendActivity({ identifier: IDENTIFIER }, target, create);
      return json({ id: note.id.href, activity: create.id.href });
    }
    case "POST /_test/send-bad":
      return json(await sendBad(ctx, body));
    default:
      return json({ error: `no control endpoint ${request.method} ${url.pathname}` }, 404);
  }
}

// The peer's public Create of ``event`` to its followers (``more``: further properties).
function createOf(ctx, event, more = {}) {
  return new Create({
    id: new URL(`/activities/${randomUUID()}`, ORIGIN),
    actor: ctx.getActorUri(IDENTIFIER),
    object: event,
    to: PUBLIC_COLLECTION,
    cc: ctx.getFollowersUri(IDENTIFIER),
    ...more,
  });
}

// A Create(Event) signed by hand with Fedify's signRequest, then spoiled as asked.
async function sendBad(ctx, { kind, inbox, spec = "draft-cavage-http-signatures-12", title }) {
  if (!["good", "wrong-key", "altered-body"].includes(kind)) throw new Error(`unknown kind ${kind}`);
  const { event } = makeEvent(ctx, { title: title ?? `Fedify ${kind} ${spec} event` });
  const create = createOf(ctx, event);
  const body = JSON.stringify(await create.toJsonLd({ format: "compact", contextLoader: documentLoader }));
  const [rsa] = await ctx.getActorKeyPairs(IDENTIFIER);
  // "wrong-key": a fresh key pair the actor never published, under the actor's own key id.
  const privateKey = kind === "wrong-key" ? (await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")).privateKey : rsa.privateKey;
  const unsigned = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body,
  });
  let signed = await signRequest(unsigned, privateKey, rsa.keyId, { spec });
  if (kind === "altered-body") {
    const altered = body.replace("Fedify altered-body", "Fedify ALTERED-body");
    if (altered === body) throw new Error("altering the body changed nothing");
    signed = new Request(signed.url, { method: "POST", headers: signed.headers, body: altered });
  }
  const res = await fetch(signed);
  return {
    status: res.status,
    body: (await res.text()).slice(0, 500),
    activity: create.id.href,
    event: event.id.href,
    keyId: rsa.keyId.href,
    signatureHeaders: [...signed.headers.keys()].filter((h) => /signature|digest/.test(h)),
  };
}

// --- HTTP server: node:http <-> fetch API -----------------------------------------------------------
function specOf(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage-http-signatures-12";
  return null;
}

const server = http.createServer(async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, ORIGIN);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else if (v != null) headers.set(k, v);
    }
    const hasBody = !["GET", "HEAD"].includes(req.method);
    const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });
    let response;
    if (url.pathname.startsWith("/_test/")) {
      response = await control(request, url);
    } else {
      if (req.method === "POST" && body.length > 0) {
        try {
          const doc = JSON.parse(body.toString("utf-8"));
          if (typeof doc.id === "string") rawBodies.set(doc.id, { raw: body.toString("utf-8"), spec: specOf(headers) });
        } catch {
          // not JSON: Fedify answers it
        }
      }
      response = await federation.fetch(request, {
        contextData: undefined,
        onNotFound: () => new Response("not found", { status: 404 }),
        onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
      });
      if (req.method === "POST") {
        console.error(`peer: ${req.method} ${url.pathname} (${specOf(headers) ?? "unsigned"}) -> ${response.status}`);
      }
    }
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(out);
  } catch (error) {
    console.error("peer: request failed:", error);
    res.writeHead(500, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: String(error?.stack ?? error) }));
  }
});

server.listen(PORT, "127.0.0.1", () => {
  console.error(`peer: Fedify ${FEDIFY_VERSION} on Node ${process.version} listening at ${ORIGIN}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
