import { z } from 'zod';
import type { ProviderConfig } from '../types.js';

/** providers.yaml keys of `type: outbox`: writes messages to files instead of sending. */
export const outboxSettings = {
  /** Folder for the files, relative to the workspace (default .mkt/outbox). */
  dir: z.string().min(1).default('.mkt/outbox'),
  /** Artificial delay per message, to rehearse pacing and concurrency. */
  latency_ms: z.int().nonnegative().default(0),
  /** Recipients the outbox refuses (a `recipient` error), to rehearse failures. */
  reject_recipients: z.array(z.string()).default([]),
};

export interface OutboxSettings extends Record<string, unknown> {
  dir: string;
  latency_ms: number;
  reject_recipients: string[];
}

export type OutboxConfig = ProviderConfig<OutboxSettings>;
