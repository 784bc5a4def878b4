/**
 * The outbox: a provider that writes instead of sending, so a campaign runs end to end with no
 * account anywhere. Email → one `.eml` per message (a real MIME file any mail client opens);
 * SMS / WhatsApp → one JSON line per message in `messages.jsonl`, appended through a stream.
 * Files go to `<workspace>/<dir>/<campaign>/`. No fsync per message: the dispatcher pushes
 * thousands per second through here; a write has reached the OS when `send` resolves.
 * Messages hold customer data: files are private (0600 in 0700 folders, src/util/private-file.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel } from '../../channels.js';
import { ProviderError, type CheckResult, type EmailMessage, type OutgoingMessage, type Provider, type SendResult } from '../contract.js';
import { formatMailbox, fromMailbox, parseMailbox } from '../email-address.js';
import type { ProviderContext } from '../types.js';
import type { OutboxConfig } from './config.js';
import { makePrivateDirs, privateWriteStream, writePrivateFile } from '../../util/private-file.js';
import { buildEml } from './mime.js';

/** File-system-safe name for a campaign or delivery ref. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || '_';
}

export class OutboxProvider implements Provider {
  readonly type = 'outbox';
  readonly name: string;
  readonly channel: Channel;
  readonly root: string;
  private readonly dirs = new Map<string, Promise<string>>();
  private readonly streams = new Map<string, WriteStream>();
  private readonly rejected: Set<string>;

  constructor(
    private readonly config: OutboxConfig,
    private readonly ctx: ProviderContext,
  ) {
    this.name = config.name;
    this.channel = config.channel;
    this.root = path.resolve(ctx.workspace, config.settings.dir);
    this.rejected = new Set(config.settings.reject_recipients);
  }

  /** The folder of one campaign, created once. */
  private campaignDir(campaign: string): Promise<string> {
    let dir = this.dirs.get(campaign);
    if (!dir) {
      const full = path.join(this.root, safeName(campaign));
      dir = Promise.resolve().then(() => {
        makePrivateDirs(full);
        return full;
      });
      this.dirs.set(campaign, dir);
    }
    return dir;
  }

  async send(message: OutgoingMessage, sender: string): Promise<SendResult> {
    if (message.channel !== this.channel) throw new ProviderError('content', `outbox ${this.name}: sends ${this.channel}, not ${message.channel}`);
    if (this.config.settings.latency_ms > 0) await sleep(this.config.settings.latency_ms);
    if (this.rejected.has(message.to)) {
      throw new ProviderError('recipient', `outbox ${this.name}: ${message.to} is in reject_recipients`, { vendorCode: 'outbox_rejected' });
    }
    const id = `outbox-${randomUUID()}`;
    try {
      const dir = await this.campaignDir(message.ref.campaign);
      if (message.channel === 'email') await this.writeEml(dir, message, sender, id);
      else await this.appendLine(dir, { id, at: this.ctx.now().toISOString(), provider: this.name, from: sender, ...message });
    } catch (err) {
      // a full disk or a read-only folder stops every message alike: pause
      throw new ProviderError('fatal', `outbox ${this.name}: cannot write to ${this.root}: ${(err as Error).message}`, { vendorCode: (err as NodeJS.ErrnoException).code, cause: err });
    }
    return { providerMessageId: id };
  }

  private async writeEml(dir: string, m: EmailMessage, sender: string, id: string): Promise<void> {
    const from = fromMailbox(sender, m.fromName);
    const domain = parseMailbox(sender).address.split('@')[1] ?? 'outbox.invalid';
    const eml = buildEml({
      from: formatMailbox(from),
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      date: this.ctx.now(),
      messageId: `${id}@${domain}`,
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      headers: [...m.headers, { name: 'X-Mkt-Delivery', value: m.ref.deliveryRef }],
      boundary: `=_mkt_${randomBytes(12).toString('hex')}`,
    });
    await writePrivateFile(path.join(dir, `${safeName(m.ref.deliveryRef || id)}.eml`), eml);
  }

  private appendLine(dir: string, record: Record<string, unknown>): Promise<void> {
    let stream = this.streams.get(dir);
    if (!stream) {
      stream = privateWriteStream(path.join(dir, 'messages.jsonl'), { append: true });
      this.streams.set(dir, stream);
    }
    const s = stream;
    return new Promise((resolve, reject) => s.write(JSON.stringify(record) + '\n', (err) => (err ? reject(err) : resolve())));
  }

  async check(): Promise<CheckResult> {
    makePrivateDirs(this.root);
    return { ok: true, details: { dir: this.root } };
  }

  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map((s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve())))));
  }
}

export async function createOutboxProvider(config: OutboxConfig, ctx: ProviderContext): Promise<Provider> {
  return new OutboxProvider(config, ctx);
}
