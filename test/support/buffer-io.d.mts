import type { Io } from '../../src/output/io.js';

/** An Io that records everything, for in-process tests. */
export function bufferIo(env?: NodeJS.ProcessEnv, tty?: boolean): Io & { out: () => string; err: () => string };
