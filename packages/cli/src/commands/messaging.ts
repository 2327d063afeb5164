import { readFile, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { deviceChangeText, timerText, type ConversationEvent, type OutgoingFile, type ReceivedMessage, type SafelightClient } from "@safelight/client";
import type { Command } from "commander";
import { parseNameList, parseSeconds } from "../args.js";
import { MuteList } from "../mutes.js";
import { profileDir, withClient } from "../profile.js";

const MAX_FILE_BYTES = 25 * 1024 * 1024;

const MIME: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".txt": "text/plain",
  ".pdf": "application/pdf",
};

async function loadFile(path: string): Promise<OutgoingFile> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path}: no such file`);
  if (!info.isFile()) throw new Error(`${path}: not a regular file`);
  if (info.size > MAX_FILE_BYTES) throw new Error(`${path}: larger than the 25 MiB attachment limit`);
  return {
    name: basename(path),
    type: MIME[extname(path).toLowerCase()] ?? "application/octet-stream",
    bytes: new Uint8Array(await readFile(path)),
  };
}

/** A saved file has its path; one not saved (withheld from a message request, or failed) says why. */
function fileJson(f: ReceivedMessage["files"][number]): Record<string, string | number> {
  const about = { name: f.name, type: f.type, size: f.size };
  return f.path ? { ...about, path: f.path } : { ...about, unavailable: f.error ?? "not downloaded" };
}

function printMessage(m: ReceivedMessage, json: boolean, muted: boolean): void {
  if (muted && !json) return;
  if (json) {
    process.stdout.write(
      JSON.stringify({
        id: m.id,
        conversation: m.conversation,
        kind: m.kind,
        title: m.title,
        from: m.from,
        fromDevice: m.fromDeviceId,
        text: m.text,
        sentAt: m.sentAt,
        ...(m.request ? { request: true } : {}),
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
        ...(muted ? { muted: true } : {}),
        ...(m.files.length ? { files: m.files.map(fileJson) } : {}),
      }) + "\n",
    );
    return;
  }
  const where = m.kind === "group" ? `[${m.title || m.conversation}] ` : "";
  const files = m.files.map((f) => (f.path ? ` [file: ${f.path}]` : ` [file ${f.name} unavailable: ${f.error}]`)).join("");
  const request = m.request ? "[message request] " : "";
  const reply = m.replyTo ? `(reply to ${m.replyTo}) ` : "";
  process.stdout.write(`${new Date(m.sentAt).toISOString()} ${request}${where}${m.from}: ${reply}${m.text}${files}\n`);
}

/** Receipts, reactions and timers (docs/messaging.md), with history's message ids; typing is for live apps only. */
function printEvent(e: ConversationEvent, json: boolean): void {
  if (e.type === "typing") return;
  const about = { conversation: e.conversation, from: e.from, sentAt: e.sentAt };
  if (e.type === "receipt") {
    process.stdout.write(
      json
        ? JSON.stringify({ kind: "receipt", receipt: e.kind, ids: e.messageIds, ...about }) + "\n"
        : `${new Date(e.sentAt).toISOString()} ${e.from}: ${e.kind} ${e.messageIds.join(",")}\n`,
    );
    return;
  }
  if (e.type === "timer") {
    process.stdout.write(
      json
        ? JSON.stringify({ kind: "timer", seconds: e.seconds, ...about }) + "\n"
        : `${new Date(e.sentAt).toISOString()} ${timerText(e.from, e.seconds)}\n`,
    );
    return;
  }
  process.stdout.write(
    json
      ? JSON.stringify({ kind: "reaction", id: e.messageId ?? null, emoji: e.emoji, ...(e.remove ? { remove: true } : {}), ...about }) + "\n"
      : `${new Date(e.sentAt).toISOString()} ${e.from} ${e.remove ? "took back" : "reacted"} ${e.emoji} ${e.remove ? "from" : "to"} ${e.messageId ?? "a message not on this device"}\n`,
  );
}

async function syncUntil(client: SafelightClient, waitSeconds: number): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const got = await client.sync();
    if (got.length > 0 || Date.now() >= deadline) return got;
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
}

export function registerMessagingCommands(program: Command): void {
  program
    .command("send")
    .description("send an end-to-end encrypted message: `send NAME TEXT` (1:1) or `send --group ID TEXT`")
    .argument("<args...>", "NAME TEXT, or TEXT with --group")
    .option("--group <id>", "send to this group conversation")
    .option("--file <path>", "attach a file (encrypted on this device before upload)")
    .option("--reply-to <id>", "reply to this message (an id from sync)")
    .action(async (args: string[], opts: { group?: string; file?: string; replyTo?: string }, cmd: Command) => {
      const expected = opts.group ? 1 : 2;
      if (args.length !== expected) {
        throw new Error(opts.group ? "usage: send --group ID TEXT" : "usage: send NAME TEXT");
      }
      const files = opts.file ? [await loadFile(opts.file)] : [];
      const send = opts.replyTo ? { replyTo: opts.replyTo } : {};
      await withClient(cmd, async (client) => {
        const sent = opts.group
          ? await client.sendToGroup(opts.group, args[0]!, files, send)
          : await client.sendText(args[0]!, args[1]!, files, send);
        process.stdout.write(
          sent.held
            ? `held ${sent.id} in ${sent.conversation}: new devices are not confirmed (safelight confirm-devices ${sent.conversation})\n`
            : `sent ${sent.id} to ${sent.conversation}\n`,
        );
      });
    });

  program
    .command("sync")
    .description("fetch, decrypt and print received messages, receipts and reactions (sends delivery receipts)")
    .option("--wait <seconds>", "wait up to this long for at least one message", parseSeconds, 0)
    .option("--json", "one JSON object per message, receipt or reaction")
    .action(async (opts: { wait: number; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        // Safety notices (docs/safety.md) print as they arrive, before the messages of the same sync.
        client.onSafetyNotice((n) =>
          process.stdout.write(
            opts.json
              ? JSON.stringify({ kind: "safety-notice", id: n.id, reason: n.reason, about: n.name, text: n.text, sentAt: n.sentAt }) + "\n"
              : `${new Date(n.sentAt).toISOString()} safety notice about ${n.name}: ${n.text}\n`,
          ),
        );
        // A device of this account this device did not accept (docs/key-transparency.md): loud, on every sync.
        client.onKeyTransparencyAlarm((a) =>
          process.stdout.write(
            opts.json
              ? JSON.stringify({ kind: "key-transparency-alarm", deviceId: a.deviceId, publicKey: a.publicKey, index: a.index, time: a.time }) + "\n"
              : `${new Date(a.time).toISOString()} ALARM: device ${a.deviceId} was added to your account, not linked from this device (key-transparency log entry ${a.index}); if you did not link it from another of your devices, your account's messages may be read by it\n`,
          ),
        );
        // Device changes are never silent (docs/safety-numbers.md): printed whether or not the device is muted.
        client.onDeviceChange((c) =>
          process.stdout.write(
            opts.json
              ? JSON.stringify({ kind: "device-change", ...c }) + "\n"
              : `${new Date(c.at).toISOString()} [${c.conversation}] ${deviceChangeText(c)}` +
                  (c.verifiedContactChanged ? ` — ${c.name} is no longer verified: compare safety numbers again (safelight verify ${c.name})` : "") +
                  "\n",
          ),
        );
        client.onEvent((e) => printEvent(e, opts.json === true));
        const mutes = new MuteList(profileDir(cmd));
        for (const m of await syncUntil(client, opts.wait)) printMessage(m, opts.json === true, mutes.has(m.from));
      });
    });

  program
    .command("conversations")
    .description("list this device's conversations")
    .option("--json", "one JSON object per conversation")
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        for (const c of await client.conversations()) {
          process.stdout.write(
            opts.json
              ? JSON.stringify(c) + "\n"
              : `${c.id} ${c.kind} ${c.title ? JSON.stringify(c.title) + " " : ""}${c.members.join(",")}${c.active ? "" : " (left)"}\n`,
          );
        }
      });
    });

  program
    .command("search")
    .description("search this device's decrypted history (case-insensitive substring); nothing is sent to the server")
    .argument("<text>", "text to look for")
    .option("--conversation <id>", "search one conversation only")
    .option("--json", "one JSON object per matching message")
    .action(async (text: string, opts: { conversation?: string; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        for (const m of await client.search(text, opts.conversation ? { conversation: opts.conversation } : {})) {
          process.stdout.write(
            opts.json
              ? JSON.stringify({ id: m.id, conversation: m.groupId, from: m.from, text: m.text, sentAt: m.sentAt, outgoing: m.outgoing }) + "\n"
              : `${new Date(m.sentAt).toISOString()} ${m.groupId} ${m.from}: ${m.text}\n`,
          );
        }
      });
    });

  for (const [verb, muted] of [["mute", true], ["unmute", false]] as const) {
    program
      .command(verb)
      .description(muted ? "stop showing an account's messages in sync (they still arrive; the account is not told)" : "show an account's messages again")
      .argument("<name>", "account name")
      .action((name: string, _opts: unknown, cmd: Command) => {
        new MuteList(profileDir(cmd)).set(name, muted);
        process.stdout.write(`${muted ? "muted" : "unmuted"} ${name}\n`);
      });
  }

  const group = program.command("group").description("group conversations");
  group
    .command("create")
    .description("create a group; prints its id")
    .argument("<title>", "group title (end-to-end encrypted)")
    .requiredOption("--members <names>", "comma-separated account names", parseNameList)
    .action(async (title: string, opts: { members: string[] }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        process.stdout.write(`${await client.createGroup(title, opts.members)}\n`);
      });
    });
  group
    .command("add")
    .description("add an account (all its devices) to a group")
    .argument("<id>", "group id")
    .argument("<name>", "account name")
    .action(async (id: string, name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        await client.addMember(id, name);
        process.stdout.write(`added ${name}\n`);
      });
    });
  group
    .command("remove")
    .description("remove an account (all its devices) from a group")
    .argument("<id>", "group id")
    .argument("<name>", "account name")
    .action(async (id: string, name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        await client.removeMember(id, name);
        process.stdout.write(`removed ${name}\n`);
      });
    });
}
