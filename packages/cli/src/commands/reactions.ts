/** Reactions, read receipts and the history that shows them (docs/messaging.md). `send --reply-to` and the
 *  receipts and reactions `sync` prints are in messaging.ts. */
import { deviceChangeText, timerText, TYPING_SETTINGS, type HistoryMessage, type SafelightClient, type TypingIndicators } from "@safelight/client";
import { InvalidArgumentError, type Command } from "commander";
import { withClient } from "../profile.js";

function parseOnOff(value: string): boolean {
  if (value !== "on" && value !== "off") throw new InvalidArgumentError("must be on or off");
  return value === "on";
}

/** A command that prints one of this device's settings, after changing it when given a value. */
function settingCommand<T>(
  program: Command,
  spec: {
    name: string;
    description: string;
    values: string;
    parse: (value: string) => T;
    set: (client: SafelightClient, value: T) => Promise<void>;
    show: (client: SafelightClient) => Promise<string>;
  },
): void {
  program
    .command(spec.name)
    .description(spec.description)
    .argument(spec.values, "the new setting", spec.parse)
    .action(async (value: T | undefined, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        if (value !== undefined) await spec.set(client, value);
        process.stdout.write(`${await spec.show(client)}\n`);
      });
    });
}

function parseTypingSetting(value: string): TypingIndicators {
  const setting = TYPING_SETTINGS.find((t) => t === value);
  if (!setting) throw new InvalidArgumentError(`must be one of ${TYPING_SETTINGS.join(", ")}`);
  return setting;
}

/** ✓ stored by the server, ✓✓ delivered to every other member, "read" by all of them. */
const MARK = { sent: "✓", delivered: "✓✓", read: "✓✓ read" } as const;

async function printHistory(m: HistoryMessage, name: (accountId: string) => Promise<string>, json: boolean): Promise<void> {
  const from = await name(m.senderAccountId);
  if (m.device) {
    // A device joining or leaving the roster (docs/safety-numbers.md), a line of its own.
    const change = { name: from, deviceId: m.senderDeviceId, change: m.device };
    process.stdout.write(
      json
        ? JSON.stringify({ id: m.id, conversation: m.groupId, kind: "device-change", ...change, sentAt: m.sentAt }) + "\n"
        : `${m.id} ${new Date(m.sentAt).toISOString()} ${deviceChangeText(change)}\n`,
    );
    return;
  }
  if (m.timer !== undefined) {
    // A member set the disappearing-messages timer (docs/messaging.md), a line of its own.
    process.stdout.write(
      json
        ? JSON.stringify({ id: m.id, conversation: m.groupId, kind: "timer", from, seconds: m.timer, sentAt: m.sentAt }) + "\n"
        : `${m.id} ${new Date(m.sentAt).toISOString()} ${timerText(from, m.timer)}\n`,
    );
    return;
  }
  const reactions = await Promise.all(m.reactions.map(async (r) => ({ emoji: r.emoji, from: await Promise.all(r.accountIds.map(name)) })));
  if (json) {
    process.stdout.write(
      JSON.stringify({
        id: m.id,
        conversation: m.groupId,
        from,
        text: m.text,
        sentAt: m.sentAt,
        ...(m.replyToId ? { replyTo: m.replyToId } : {}),
        ...(m.status ? { status: m.status } : {}),
        ...(reactions.length ? { reactions } : {}),
      }) + "\n",
    );
    return;
  }
  const reply = m.replyToId ? `(reply to ${m.replyToId}) ` : "";
  const chips = reactions.map((r) => ` [${r.emoji} ${r.from.join(",")}]`).join("");
  const status = m.status ? ` ${MARK[m.status]}` : "";
  process.stdout.write(`${m.id} ${new Date(m.sentAt).toISOString()} ${from}: ${reply}${m.text}${status}${chips}\n`);
}

export function registerReactionCommands(program: Command): void {
  program
    .command("react")
    .description("react to a message (an id from sync or history) with one emoji, or take it back with --remove")
    .argument("<id>", "message id")
    .argument("<emoji>", "exactly one emoji")
    .option("--remove", "take this reaction back")
    .action(async (id: string, emoji: string, opts: { remove?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        await client.react(id, emoji, { remove: opts.remove === true });
        process.stdout.write(`${opts.remove ? "took back" : "reacted"} ${emoji} ${opts.remove ? "from" : "to"} ${id}\n`);
      });
    });

  program
    .command("read")
    .description("send a read receipt for the messages you received in a conversation (unless read receipts are off)")
    .argument("<conversation>", "conversation id")
    .action(async (conversation: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const received = (await client.history(conversation)).filter((m) => !m.outgoing).map((m) => m.id);
        const named = await client.markRead(conversation, received);
        process.stdout.write(named > 0 ? `read receipt for ${named} messages\n` : "no read receipt sent\n");
      });
    });

  settingCommand(program, {
    name: "read-receipts",
    description: "show, or turn on or off, read receipts: off, you send none and see no one's",
    values: "[on|off]",
    parse: parseOnOff,
    set: (client, on) => client.setReadReceipts(on),
    show: async (client) => `read receipts ${client.readReceipts ? "on" : "off"}`,
  });

  settingCommand(program, {
    name: "typing-indicators",
    description: "show, or set, whom you send typing indicators to: everyone, contacts (conversations of contacts only; a teen's default) or off",
    values: "[everyone|contacts|off]",
    parse: parseTypingSetting,
    set: (client, setting) => client.setTypingIndicators(setting),
    show: async (client) => `typing indicators: ${await client.typingSetting()}`,
  });

  program
    .command("history")
    .description("a conversation's messages with replies, reactions and, for yours, ✓ sent, ✓✓ delivered, read")
    .argument("<conversation>", "conversation id")
    .option("--json", "one JSON object per message")
    .action(async (conversation: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const name = (accountId: string) => client.nameOf(accountId);
        for (const m of await client.history(conversation)) await printHistory(m, name, opts.json === true);
      });
    });
}
