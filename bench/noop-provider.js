// A zero-latency provider (`type: module`): accepts every message at once and sends nothing, so
// that a send measures mkt's own pipeline — claim, render, ledger — and not a network. The answer
// comes on the next turn of the event loop, as any I/O completion would (an answer settled in the
// same microtask queue would starve timers such as the lease heartbeat).
import { setImmediate as nextTurn } from 'node:timers/promises';

let next = 0;

export default {
  type: 'bench-noop',
  create() {
    return {
      async send() {
        await nextTurn();
        return { providerMessageId: `noop-${++next}` };
      },
    };
  },
};
