/**
 * Runs one fake provider server as its own process, for tests and demos that need it outside the
 * test runner:
 *
 *   npx tsx test/fakes/serve.ts ses|twilio|meta|webhook [--port 8005] [--seed 1]
 *
 * Prints one JSON line `{"type":"ses","url":"http://127.0.0.1:8005"}` on stdout once listening,
 * then serves until SIGINT/SIGTERM. Drive it over HTTP: `POST /__fake/inject` with a Fault
 * (see ./http.ts), `GET /__fake/receipts`, `GET /__fake/stats`, `POST /__fake/clear`.
 * Credentials are the fakes' defaults (SES key AKIDFAKE, Twilio FAKE_TWILIO_SID +
 * fake-auth-token, Meta fake-meta-token, webhook fake-webhook-token).
 */
import { startFakeMeta } from './meta.js';
import { startFakeSes } from './ses.js';
import { startFakeTwilio } from './twilio.js';
import { startFakeWebhook } from './webhook.js';

const [type, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? Number(rest[i + 1]) : undefined;
};
const opts = { port: flag('port') ?? 0, seed: flag('seed') ?? 1 };
const starters = { ses: startFakeSes, twilio: startFakeTwilio, meta: startFakeMeta, webhook: startFakeWebhook } as const;
const start = starters[type as keyof typeof starters];
if (!start) {
  process.stderr.write(`usage: serve.ts ${Object.keys(starters).join('|')} [--port N] [--seed N]\n`);
  process.exit(64);
}
const fake = await start(opts);
process.stdout.write(JSON.stringify({ type, url: fake.url }) + '\n');
const stop = () => void fake.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
