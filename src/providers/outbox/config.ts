import { z } from 'zod';
import type { ConfigOf, SettingsOf } from '../spec.js';

/** providers.yaml keys of `type: outbox`: writes messages to files instead of sending. */
export const outboxSettings = {
  /** Folder for the files, relative to the workspace (default .mkt/outbox). */
  dir: z.string().min(1).default('.mkt/outbox'),
  /** Artificial delay per message, to rehearse pacing and concurrency. */
  latency_ms: z.int().nonnegative().default(0),
  /** Recipients the outbox refuses (a `recipient` error), to rehearse failures. */
  reject_recipients: z.array(z.string()).default([]),
};

export type OutboxSettings = SettingsOf<typeof outboxSettings>;
export type OutboxConfig = ConfigOf<typeof outboxSettings>;
