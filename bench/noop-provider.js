// A zero-latency provider (`type: module`): accepts every message at once and sends nothing, so
// that a send measures mkt's own pipeline — claim, render, ledger — and not a network.
let next = 0;

export default {
  type: 'bench-noop',
  create() {
    return {
      async send() {
        return { providerMessageId: `noop-${++next}` };
      },
    };
  },
};
