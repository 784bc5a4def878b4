/**
 * `mkt init [DIR]`: writes a starting workspace that works at once through the outbox
 * (no account needed) and shows, commented out, how the real providers are configured.
 * Nothing is overwritten: when any file it would write exists, nothing is written at all.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { PROVIDERS_FILE } from '../providers/load.js';
import { SETTINGS_FILE } from '../compliance/config.js';
import { emailScaffold, smsScaffold, whatsappScaffold } from '../templates/scaffold.js';

/**
 * The environment variables the commented real providers read. They are the names the vendors'
 * own tools use (the AWS SDK's credential chain, the Twilio CLI), so a CI secret set for those
 * tools also works here; README "CI" and examples/github-actions use the same names.
 */
export const REAL_PROVIDER_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'META_WHATSAPP_TOKEN'] as const;

const PROVIDERS = `# Providers this workspace may send through. A campaign names one of them.
# The outbox providers write messages to .mkt/outbox/ instead of sending: no account needed.
# Secrets are only ever written as \${ENV_VAR} references (a literal secret is an error).
# \`mkt provider list\` shows them, \`mkt provider check <name>\` proves one works,
# \`mkt doctor\` checks everything at once.
providers:
  - name: outbox
    type: outbox
    channel: email
    rate: 50/s
    senders: [ "News <news@example.com>" ]
  - name: outbox-sms
    type: outbox
    channel: sms
    rate: 20/s
    senders: [ "+14155550100" ]
  - name: outbox-whatsapp
    type: outbox
    channel: whatsapp
    rate: 20/s
    senders: [ "+14155550200" ]

# Real providers: uncomment one, export its environment variables, then
# \`mkt provider check <name>\`.
#
#  - name: ses
#    type: ses                                   # Amazon SES v2
#    channel: email
#    region: eu-west-1
#    access_key_id: \${AWS_ACCESS_KEY_ID}         # optional: the default AWS credential chain otherwise
#    secret_access_key: \${AWS_SECRET_ACCESS_KEY}
#    rate: 14/s                                  # at most the account's MaxSendRate
#    concurrency: 16
#    senders: [ "News <news@mail.example.com>" ]
#
#  - name: twilio-sms
#    type: twilio
#    channel: sms
#    account_sid: \${TWILIO_ACCOUNT_SID}
#    auth_token: \${TWILIO_AUTH_TOKEN}
#    status_callback: https://hooks.example.com/feedback/twilio/status   # where \`mkt serve\` listens
#    rate: 1/s                                   # per 10DLC number; toll-free 3/s
#    senders: [ "+14155550100" ]
#
#  - name: twilio-whatsapp
#    type: twilio                                # WhatsApp through Twilio (ContentSid templates)
#    channel: whatsapp
#    account_sid: \${TWILIO_ACCOUNT_SID}
#    auth_token: \${TWILIO_AUTH_TOKEN}
#    rate: 80/s
#    senders: [ "+14155550200" ]
#
#  - name: meta-whatsapp
#    type: meta-whatsapp                         # WhatsApp Cloud API (Meta)
#    channel: whatsapp
#    access_token: \${META_WHATSAPP_TOKEN}
#    api_version: v23.0
#    rate: 80/s
#    senders: [ "106540352242922" ]              # phone-number ids, not phone numbers
`;

const SETTINGS = `# Workspace settings that are not about one provider (README "Compliance").
unsubscribe:
  base_url: http://127.0.0.1:8025/u          # where \`mkt serve\` is reachable (https in production)
  secret: \${MKT_UNSUBSCRIBE_SECRET}          # HMAC key: export MKT_UNSUBSCRIBE_SECRET=$(openssl rand -hex 32)
default_timezone: UTC
# Uncomment to hold SMS / WhatsApp to daytime in each recipient's own time zone, and to cap
# how many messages one customer gets per channel across campaigns:
# quiet_hours:
#   sms: "09:00-20:00"
#   whatsapp: "09:00-20:00"
# frequency_cap:
#   email: { max: 2, per: 7d }
`;

const SEGMENT = `description: Every customer who agreed to email and has an address
where:
  all:
    - email_opt_in: true
    - email: { exists: true }
`;

const GITIGNORE_LINE = '.mkt/';

/** The files `mkt init` writes, relative to the workspace, with their content. */
export function scaffoldFiles(): Array<{ file: string; content: string }> {
  return [
    { file: PROVIDERS_FILE, content: PROVIDERS },
    { file: SETTINGS_FILE, content: SETTINGS },
    { file: 'segments/subscribers.yaml', content: SEGMENT },
    { file: 'templates/email/welcome.mjml', content: emailScaffold({ layout: 'announcement', subject: 'Welcome, {{ first_name | default: "friend" }}', preheader: 'Good to have you with us' }) },
    { file: 'templates/sms/sale.txt', content: smsScaffold({ text: 'Hi {{ first_name | default: "there" }}, our sale starts today: https://example.com/sale', footer: 'Reply STOP to opt out' }) },
    {
      file: 'templates/whatsapp/sale_alert.yaml',
      content: whatsappScaffold({ templateName: 'sale_alert', language: 'en_US', category: 'MARKETING', body: 'Hi {{1}}, our sale starts today.', parameters: ["{{ first_name | default: 'there' }}"] }),
    },
  ];
}

export interface InitResult {
  dir: string;
  /** Files written, relative to `dir`. */
  created: string[];
  /** `.gitignore`: created, extended with `.mkt/`, or already ignoring it. */
  gitignore: 'created' | 'updated' | 'unchanged';
}

/** `.mkt/` (or an equivalent spelling) is already ignored by this .gitignore text. */
function ignoresMkt(text: string): boolean {
  return text.split(/\r?\n/).some((l) => ['.mkt', '.mkt/', '/.mkt', '/.mkt/', '.mkt/*', '/.mkt/*'].includes(l.trim()));
}

/** Writes the workspace into `dir` (created if needed); throws before writing anything if a file exists. */
export function initWorkspace(dir: string): InitResult {
  const root = path.resolve(dir);
  const files = scaffoldFiles();
  const existing = files.filter((f) => existsSync(path.join(root, f.file))).map((f) => f.file);
  if (existing.length > 0) {
    throw new UsageError(`${path.join(root, existing[0]!)} already exists; mkt init writes nothing over existing files`, {
      code: 'init_would_overwrite',
      hint: existing.length > 1 ? `also present: ${existing.slice(1).join(', ')}; pick a new or empty folder` : 'pick a new or empty folder, or move the file away',
      details: { existing },
    });
  }
  for (const f of files) {
    const abs = path.join(root, f.file);
    mkdirSync(path.dirname(abs), { recursive: true });
    // 'wx': never replace a file that appeared since the check above
    writeFileSync(abs, f.content, { flag: 'wx' });
  }
  // The database under .mkt/ holds customer data: it must never be committed. An existing
  // .gitignore is extended, not replaced.
  const ignore = path.join(root, '.gitignore');
  let gitignore: InitResult['gitignore'] = 'created';
  if (!existsSync(ignore)) writeFileSync(ignore, `# mkt's database, outbox and demo: customer data, never commit it\n${GITIGNORE_LINE}\n`, { flag: 'wx' });
  else {
    const text = readFileSync(ignore, 'utf8');
    if (ignoresMkt(text)) gitignore = 'unchanged';
    else {
      appendFileSync(ignore, `${text === '' || text.endsWith('\n') ? '' : '\n'}${GITIGNORE_LINE}\n`);
      gitignore = 'updated';
    }
  }
  return { dir: root, created: files.map((f) => f.file), gitignore };
}
