/**
 * A worked example of a user-written mkt provider (`type: module`): a generic HTTP messaging
 * gateway that takes `POST {url}/messages` with a bearer token and answers `{ "id": "…" }`.
 * Copy it, change `send`, and name it in providers.yaml:
 *
 *   - name: my-gateway
 *     type: module
 *     channel: sms                       # email | sms | whatsapp
 *     module: ./providers/webhook-gateway.js   # relative to the workspace
 *     options:
 *       url: https://gateway.example.com/api
 *       api_token: ${GATEWAY_TOKEN}       # keys ending in token/secret/password/key must be ${ENV} references
 *       timeout_ms: 10000
 *     rate: 20/s
 *     senders: [ "+14155550100" ]
 *
 * The contract (README "How to add a provider"): export a factory `{ type, create(config, ctx) }`
 * (or a named `create`). `config` is the validated entry — name, channel, senders and
 * `settings.options` with ${ENV} references already resolved. `ctx` has workspace, env, now() and
 * the ProviderError class. `create` returns `{ send(message, sender), check?(), close?() }`.
 * `send` returns `{ providerMessageId }` or throws `new ctx.ProviderError(kind, message, opts)`:
 *   throttled  — the gateway refused and did not process it (429): mkt retries later
 *   transient  — the request provably never left (connection refused, DNS): mkt retries
 *   ambiguous  — it may have been accepted (timeout, reset, 5xx): mkt records "unknown", never resends on its own
 *   recipient  — this recipient is bad or opted out (`suppress: 'stop_keyword' | 'unsubscribed'` adds a suppression)
 *   content    — the message itself is refused: the campaign pauses
 *   fatal      — credentials or account: the campaign pauses at once
 * Never retry inside the module: a retry after a timeout is a duplicate message.
 */

/** Errors that prove the request never reached the gateway. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export default {
  type: 'webhook-gateway',

  create(config, ctx) {
    const { ProviderError } = ctx;
    const options = config.settings.options ?? {};
    if (typeof options.url !== 'string') throw new Error(`${config.name}: options.url is required`);
    const base = options.url.replace(/\/+$/, '');
    const timeoutMs = Number(options.timeout_ms ?? 10_000);

    async function call(method, path, body) {
      try {
        return await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${options.api_token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const code = err?.cause?.code;
        if (NEVER_SENT.has(code)) throw new ProviderError('transient', `${config.name}: gateway unreachable (${code})`, { vendorCode: code });
        // fetch cannot tell whether the request was written before a timeout or reset: assume it may have been
        throw new ProviderError('ambiguous', `${config.name}: no answer from the gateway (${code ?? err?.name ?? 'error'})`, { vendorCode: code });
      }
    }

    async function failure(res) {
      const payload = await res.json().catch(() => ({}));
      const code = typeof payload.error === 'string' ? payload.error : undefined;
      const text = `${config.name}: HTTP ${res.status}${code ? ' ' + code : ''}`;
      const opts = { vendorCode: code, httpStatus: res.status };
      if (res.status === 429) {
        const retryAfter = Number(res.headers.get('retry-after'));
        return new ProviderError('throttled', text, { ...opts, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) });
      }
      if (res.status >= 500) return new ProviderError('ambiguous', text, opts);
      if (res.status === 401 || res.status === 403) return new ProviderError('fatal', text, opts);
      if (code === 'opted_out') return new ProviderError('recipient', text, { ...opts, suppress: 'unsubscribed' });
      if (code === 'invalid_recipient') return new ProviderError('recipient', text, opts);
      return new ProviderError('content', text, opts);
    }

    return {
      async send(message, sender) {
        const body = {
          channel: message.channel,
          from: sender,
          to: message.to,
          text: message.channel === 'sms' ? message.body : message.text,
          ...(message.channel === 'email' ? { subject: message.subject, html: message.html } : {}),
          reference: message.ref.deliveryRef,
        };
        const res = await call('POST', '/messages', body);
        if (!res.ok) throw await failure(res);
        const json = await res.json().catch(() => ({}));
        if (typeof json.id !== 'string') throw new ProviderError('ambiguous', `${config.name}: accepted without an id`);
        return { providerMessageId: json.id };
      },

      async check() {
        const res = await call('GET', '/account');
        if (!res.ok) throw await failure(res);
        const json = await res.json().catch(() => ({}));
        return { ok: json.active !== false, details: { balance: json.balance ?? null, active: json.active ?? null } };
      },
    };
  },
};
