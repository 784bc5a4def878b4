/**
 * The fixed words of the compliance commands, in a module of their own that imports nothing:
 * the CLI checks `--reason` and `--source` with them while parsing flags (exit 64 before any
 * database is opened) without loading the import code on every start.
 */
export const SUPPRESSION_REASONS = ['unsubscribed', 'bounced', 'complained', 'stop_keyword', 'manual'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export const FEEDBACK_SOURCES = ['ses', 'twilio', 'meta'] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];
