/**
 * What a send reports while it runs (types only: the terminal view imports this, not the send
 * path). The dispatcher's progress of this run, plus `total` (rows due in this run) and
 * `overall`: the whole campaign, counting what earlier runs already settled (a resumed send
 * shows "sent so far / recipients", not only this run's share).
 */
import type { Progress } from '../dispatch/progress.js';

export type SendProgress = Progress & {
  total: number;
  overall?: { recipients: number; sent: number; failed: number; unknown: number; skipped: number };
};
