import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { serverFrameSchema } from "../src/routes/wsFrames.js";
import {
  addProposal,
  appMessage,
  b64,
  call,
  commit,
  keyPackage,
  newGroup,
  register,
  startTestServer,
  useServer,
  type Device,
} from "./helpers.js";

const server = useServer();

/** alice + bob in one group at epoch 1; returns alice's state for sending. */
async function pair() {
  const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
  const g = await newGroup(server.url, alice!);
  const kp = await keyPackage(bob!, bob!.keys);
  const c = await commit(g.state, [addProposal(kp.publicPackage)]);
  await call(server.url, "POST", `/v1/groups/${b64(g.groupId)}/commits`, {
    token: alice!.token,
    json: { commit: c.commit, welcome: c.welcome },
  });
  return { alice: alice!, bob: bob!, groupId: g.groupId, state: c.newState };
}

const queue = (d: Device, limit?: number) =>
  call(server.url, "GET", `/v1/queue${limit ? `?limit=${limit}` : ""}`, { token: d.token });

function openWs(d: Device, viaQuery = false): Promise<{ ws: WebSocket; frames: any[]; next: () => Promise<any> }> {
  const url = server.url.replace("http", "ws") + "/v1/ws" + (viaQuery ? `?token=${d.token}` : "");
  const ws = new WebSocket(url, viaQuery ? {} : { headers: { authorization: `Bearer ${d.token}` } });
  const frames: any[] = [];
  const waiters: ((f: any) => void)[] = [];
  ws.on("message", (data) => {
    const f = JSON.parse(String(data));
    const w = waiters.shift();
    if (w) w(f);
    else frames.push(f);
  });
  const next = () =>
    new Promise<any>((resolve, reject) => {
      const f = frames.shift();
      if (f) return resolve(f);
      const t = setTimeout(() => reject(new Error("no frame")), 5000);
      waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, frames, next }));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`ws status ${res.statusCode}`)));
  });
}

describe("per-device queues", () => {
  it("keeps items in order with increasing seq, pages with limit, and removes only acked items", async () => {
    const p = await pair();
    let state = p.state;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await appMessage(state, `m${i}`);
      state = m.newState;
      const res = await call(server.url, "POST", `/v1/groups/${b64(p.groupId)}/messages`, { token: p.alice.token, json: { message: m.message } });
      ids.push(res.body.id);
    }
    const all = (await queue(p.bob)).body.items as { id: string; seq: number; kind: string }[];
    expect(all.map((i) => i.kind)).toEqual(["welcome", "application", "application", "application", "application", "application"]);
    expect(all.slice(1).map((i) => i.id)).toEqual(ids);
    expect(all.map((i) => i.seq)).toEqual([...all.map((i) => i.seq)].sort((a, b) => a - b));
    expect(new Set(all.map((i) => i.id)).size).toBe(6);
    expect((await queue(p.bob, 2)).body.items.map((i: { id: string }) => i.id)).toEqual(all.slice(0, 2).map((i) => i.id));

    // Another device cannot read or ack bob's items.
    const eve = await register(server.url);
    expect((await queue(eve)).body.items).toEqual([]);
    const evil = await call(server.url, "POST", "/v1/queue/ack", { token: eve.token, json: { ids: all.map((i) => i.id) } });
    expect(evil.body).toEqual({ removed: 0 });
    // The sender's own copy does not exist either: alice acking does nothing to bob.
    await call(server.url, "POST", "/v1/queue/ack", { token: p.alice.token, json: { ids: all.map((i) => i.id) } });
    expect((await queue(p.bob)).body.items).toHaveLength(6);

    const ack = await call(server.url, "POST", "/v1/queue/ack", { token: p.bob.token, json: { ids: [all[0]!.id, all[2]!.id, "unknown"] } });
    expect(ack.body).toEqual({ removed: 2 });
    expect((await queue(p.bob)).body.items.map((i: { id: string }) => i.id)).toEqual([all[1], all[3], all[4], all[5]].map((i) => i!.id));
    expect((await call(server.url, "GET", "/v1/queue?limit=501", { token: p.bob.token })).status).toBe(400);
  });

  it("a resent message (the answer was lost) gets the same id and is queued once, even after the ack", async () => {
    const p = await pair();
    const m = await appMessage(p.state, "once");
    const send = () => call(server.url, "POST", `/v1/groups/${b64(p.groupId)}/messages`, { token: p.alice.token, json: { message: m.message } });
    const first = await send();
    const again = await send();
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    const apps = () => queue(p.bob).then((r) => (r.body.items as { id: string; kind: string }[]).filter((i) => i.kind === "application"));
    expect((await apps()).map((i) => i.id)).toEqual([first.body.id]);
    await call(server.url, "POST", "/v1/queue/ack", { token: p.bob.token, json: { ids: [first.body.id] } });
    expect(await send()).toEqual(first);
    expect(await apps()).toEqual([]);
  });
});

describe("WebSocket", () => {
  it("pushes new items, accepts ack and send frames", async () => {
    const p = await pair();
    const bobWs = await openWs(p.bob);
    const aliceWs = await openWs(p.alice, true);
    try {
      const m1 = await appMessage(p.state, "pushed");
      const sent = await call(server.url, "POST", `/v1/groups/${b64(p.groupId)}/messages`, { token: p.alice.token, json: { message: m1.message } });
      const pushed = await bobWs.next();
      expect(pushed).toMatchObject({ type: "item", item: { id: sent.body.id, kind: "application", data: m1.message } });

      // send over the socket
      const m2 = await appMessage(m1.newState, "via ws");
      aliceWs.ws.send(JSON.stringify({ type: "send", reqId: "r1", groupId: b64(p.groupId), message: m2.message }));
      const ok = await aliceWs.next();
      expect(ok).toMatchObject({ type: "sent", reqId: "r1" });
      const pushed2 = await bobWs.next();
      expect(pushed2.item.id).toBe(ok.id);

      // errors keep reqId and the documented code
      aliceWs.ws.send(JSON.stringify({ type: "send", reqId: "r2", groupId: b64(p.groupId), message: "AAAA" }));
      expect(await aliceWs.next()).toMatchObject({ type: "error", reqId: "r2", code: "SL_ERR_BAD_MLS" });
      const unknownGroup = b64(new Uint8Array(32));
      aliceWs.ws.send(JSON.stringify({ type: "send", reqId: "r3", groupId: unknownGroup, message: m2.message }));
      expect(await aliceWs.next()).toMatchObject({ type: "error", reqId: "r3", code: "SL_ERR_NOT_FOUND" });
      aliceWs.ws.send("not json");
      expect(await aliceWs.next()).toMatchObject({ type: "error", code: "SL_ERR_BAD_REQUEST" });

      // ack over the socket
      const before = (await queue(p.bob)).body.items as { id: string }[];
      bobWs.ws.send(JSON.stringify({ type: "ack", ids: before.map((i) => i.id) }));
      await expect.poll(async () => (await queue(p.bob)).body.items.length).toBe(0);
    } finally {
      bobWs.ws.close();
      aliceWs.ws.close();
    }
  });

  it("rejects every malformed frame with the same error and keeps the socket open; its replies match the frame schemas", async () => {
    const isServerFrame = new Ajv({ allErrors: true }).compile(serverFrameSchema);
    const p = await pair();
    const bobWs = await openWs(p.bob);
    const aliceWs = await openWs(p.alice);
    try {
      const m1 = await appMessage(p.state, "kept");
      aliceWs.ws.send(JSON.stringify({ type: "send", reqId: "ok", groupId: b64(p.groupId), message: m1.message }));
      const sent = await aliceWs.next();
      const pushed = await bobWs.next();
      const itemId = pushed.item.id as string;
      const groupId = b64(p.groupId);
      const send = { type: "send", reqId: "r", groupId, message: m1.message };
      const filler = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);
      const malformed: [string, unknown][] = [
        ["ack with an extra property", { type: "ack", ids: [itemId], extra: 1 }],
        ["ack whose ids is not an array", { type: "ack", ids: itemId }],
        ["ack with a non-string id", { type: "ack", ids: [itemId, 7] }],
        ["ack with an id over 64 characters", { type: "ack", ids: [itemId, "a".repeat(65)] }],
        ["ack with more than 1000 ids", { type: "ack", ids: [itemId, ...filler(1000)] }],
        ["ack without ids", { type: "ack" }],
        ["send with an extra property", { ...send, extra: true }],
        ["send with a numeric reqId", { ...send, reqId: 1 }],
        ["send with a reqId over 64 characters", { ...send, reqId: "r".repeat(65) }],
        ["send with a numeric groupId", { ...send, groupId: 5 }],
        ["send without message", { type: "send", reqId: "r", groupId }],
        ["unknown type", { type: "nack", ids: [itemId] }],
        ["no type", { ids: [itemId] }],
        ["array", [{ type: "ack", ids: [itemId] }]],
        ["null", null],
        ["number", 42],
        ["string", "ack"],
      ];
      const raw: [string, string][] = [
        ...malformed.map(([what, frame]): [string, string] => [what, JSON.stringify(frame)]),
        ["not JSON", "not json"],
        ["ack with a __proto__ key", `{"type":"ack","ids":["${itemId}"],"__proto__":{"admin":true}}`],
      ];
      for (const [what, text] of raw) {
        aliceWs.ws.send(text);
        bobWs.ws.send(text);
        const replies = [await aliceWs.next(), await bobWs.next()];
        for (const reply of replies) expect(reply, what).toEqual({ type: "error", code: "SL_ERR_BAD_REQUEST", message: "unrecognised frame" });
      }
      // None of the malformed acks removed bob's item; a well-formed one of exactly 1000 ids does.
      expect((await queue(p.bob)).body.items.map((i: { id: string }) => i.id)).toContain(itemId);
      bobWs.ws.send(JSON.stringify({ type: "ack", ids: [itemId, ...filler(999)] }));
      await expect.poll(async () => (await queue(p.bob)).body.items.map((i: { id: string }) => i.id)).not.toContain(itemId);

      // The sockets stayed open: a refused send still answers with its reqId.
      aliceWs.ws.send(JSON.stringify({ ...send, reqId: "late", message: "AAAA" }));
      const refused = await aliceWs.next();
      expect(refused).toMatchObject({ type: "error", reqId: "late", code: "SL_ERR_BAD_MLS" });
      for (const frame of [sent, pushed, refused]) expect(isServerFrame(frame), JSON.stringify(isServerFrame.errors)).toBe(true);
      expect(isServerFrame({ ...sent, extra: 1 })).toBe(false);
      expect(isServerFrame({ type: "item", item: { ...pushed.item, seq: "1" } })).toBe(false);
    } finally {
      bobWs.ws.close();
      aliceWs.ws.close();
    }
  });

  it("closes sockets with 1001 on shutdown", async () => {
    const own = await startTestServer();
    const d = await register(own.url);
    const ws = new WebSocket(`${own.url.replace("http", "ws")}/v1/ws?token=${d.token}`);
    await new Promise((r) => ws.once("open", r));
    const code = new Promise((r) => ws.once("close", (c) => r(c)));
    await own.stop();
    expect(await code).toBe(1001);
  });

  it("refuses a socket without a valid token", async () => {
    const fake = { token: b64(new Uint8Array(32)) } as Device;
    await expect(openWs(fake)).rejects.toThrow(/401/);
  });
});
