import type { Command } from 'commander';

/**
 * The Examples section of every command's --help, in one table keyed by the command path
 * ('' is mkt itself). A new command adds its lines here; test/e2e/help.test.ts fails for any
 * command without them.
 */
export const EXAMPLES: Record<string, string[]> = {
  '': ['mkt demo', 'mkt campaign send spring --yes', 'mkt help campaign send'],
  init: ['mkt init', 'mkt init my-shop && cd my-shop'],
  doctor: ['mkt doctor', 'mkt doctor --json'],
  db: ['mkt db backup backups/mkt-$(date +%F).db'],
  'db migrate': ['mkt db migrate', 'MKT_DB="postgres://mkt@db.internal:5432/mkt?sslmode=verify-full" mkt db migrate   # the PostgreSQL store'],
  'db backup': ['mkt db backup backups/mkt.db', 'mkt db backup backups/mkt.db --force   # replace an older backup'],
  'db copy': ['mkt db copy .mkt/mkt.db "postgres://mkt@db.internal:5432/mkt?sslmode=verify-full"', 'mkt db copy .mkt/mkt.db "$MKT_DB" --replace --yes --json   # over an earlier copy, without the question'],
  'db replay-spool': ['MKT_DB="postgres://mkt@db.internal:5432/mkt" mkt db replay-spool /srv/mkt/tracking.db   # what a serve on that file spooled after it was moved', 'mkt db replay-spool old.db --json'],
  completion: ['source <(mkt completion bash)', 'mkt completion zsh > "${fpath[1]}/_mkt"', 'mkt completion fish > ~/.config/fish/completions/mkt.fish'],
  customers: ['mkt customers import customers.csv', 'mkt customers seed --count 5000', 'mkt customers list --limit 5'],
  'customers count': ['mkt customers count', 'mkt customers count --json'],
  'customers show': ['mkt customers show 42', 'mkt customers show ana@example.org --json'],
  'customers list': ['mkt customers list --limit 50 --offset 100'],
  'customers import': [
    'mkt customers import customers.csv --dry-run',
    'mkt customers import export.csv --map "E-Mail=email" --default-country DE --rejects rejects.csv',
    'mkt customers import people.jsonl --strict',
  ],
  'customers history': ['mkt customers history ana@example.org', 'mkt customers history 42 --json'],
  'customers export': ['mkt customers export ana@example.org > ana.json'],
  'customers forget': ['mkt customers forget ana@example.org', 'mkt customers forget 42 --yes --json'],
  'customers seed': ['mkt customers seed --count 50000', 'mkt customers seed --count 100 --replace --yes'],
  provider: ['mkt provider list', 'mkt provider check outbox'],
  'provider list': ['mkt provider list', 'mkt provider list --json'],
  'provider check': ['mkt provider check outbox', 'mkt provider check ses-eu --json'],
  'provider test': ['mkt provider test outbox --to you@example.com --template spring-sale', 'mkt provider test outbox-sms --to +447911123456 --text "test"'],
  campaign: ['mkt campaign create --file campaigns/spring.yaml', 'mkt campaign prepare spring', 'mkt campaign send spring --yes', 'mkt campaign status spring --watch'],
  'campaign create': [
    'mkt campaign create        # asks for what is missing, on a terminal',
    'mkt campaign create --name spring --channel email --segment everyone-email --provider outbox --template spring-sale',
    'mkt campaign create --file campaigns/spring.yaml',
  ],
  'campaign list': ['mkt campaign list', 'mkt campaign list --json'],
  'campaign show': ['mkt campaign show spring', 'mkt campaign show spring --json'],
  'campaign cancel': ['mkt campaign cancel spring', 'mkt campaign cancel spring --yes   # in scripts'],
  'campaign check': ['mkt campaign check spring', 'mkt campaign check spring --budget 250'],
  'campaign prepare': ['mkt campaign prepare spring', 'mkt campaign prepare spring --refresh'],
  'campaign recount': ['mkt campaign recount spring'],
  'campaign status': ['mkt campaign status spring', 'mkt campaign status spring --watch', 'mkt campaign status spring --json'],
  'campaign report': [
    'mkt campaign report spring --out report.csv',
    'mkt campaign report spring --state failed,unknown --limit 20',
    'mkt campaign report spring --format json | jq length',
    'mkt campaign report spring --html spring.html',
  ],
  'campaign links': ['mkt campaign links spring', 'mkt campaign links spring --json'],
  'campaign compare': ['mkt campaign compare spring summer', 'mkt campaign compare spring summer autumn --json'],
  'campaign send': [
    'mkt campaign send spring',
    'mkt campaign send spring --limit 100 --yes        # a canary batch',
    'mkt campaign send spring --throttle 20/s --yes',
    'mkt campaign send spring --retry-unknown --yes',
    'mkt campaign send --due --yes                     # scheduled CI job',
  ],
  'campaign apply': ['mkt campaign apply --dry-run          # the plan: create / update / no change / refused', 'mkt campaign apply', 'mkt campaign apply campaigns/spring.yaml --json'],
  'campaign validate': ['mkt campaign validate                  # every campaigns/*.yaml, no database', 'mkt campaign validate campaigns/spring.yaml'],
  'campaign edit': ['mkt campaign edit spring --set throttle=20/s', 'mkt campaign edit spring --set segment=vip --set distribution=sticky', 'mkt campaign edit spring --set throttle=   # unset'],
  'campaign schedule': ['mkt campaign schedule spring 2026-12-01T09:00:00+01:00', 'mkt campaign schedule spring 2026-11-30T08:00:00Z --now   # a time that has passed: due at once'],
  'campaign unschedule': ['mkt campaign unschedule spring'],
  'campaign clone': ['mkt campaign clone spring spring-2'],
  'campaign delete': ['mkt campaign delete spring-2 --yes'],
  'campaign test': ['mkt campaign test spring --to anna@example.com,ben@example.com', 'mkt campaign test spring --customer 42 --no-prefix   # reviewers from proof_list in mkt.yaml', 'mkt campaign test flash --to +4915112345678'],
  'campaign archive': ['mkt campaign archive spring', 'mkt campaign list --all'],
  demo: ['mkt demo', 'mkt demo --customers 500 --throttle 200/s'],
  segment: ['mkt segment list --count', 'mkt segment create vip --rule "lifetime_value gt 500"'],
  'segment list': ['mkt segment list', 'mkt segment list --count'],
  'segment count': ['mkt segment count high-value-dach', 'mkt segment count high-value-dach --by country'],
  'segment preview': ['mkt segment preview high-value-dach --limit 5', 'mkt segment preview vip --fields email,country,attributes.plan'],
  'segment validate': ['mkt segment validate', 'mkt segment validate vip churn-risk'],
  'segment create': ['mkt segment create        # interactive', 'mkt segment create dach --rule "country in DE,AT,CH" --rule "email_opt_in eq true"'],
  template: ['mkt template list', 'mkt template render spring-sale --customer 1 --out /tmp/spring.html'],
  'template list': ['mkt template list', 'mkt template list --json'],
  'template validate': ['mkt template validate', 'mkt template validate email/spring-sale sms/flash-sale'],
  'template preview': ['mkt template preview spring-sale --open', 'mkt template preview sms/flash-sale --customer 42', 'mkt template preview spring-sale --json'],
  'template render': [
    'mkt template render spring-sale --customer 1 --out /tmp/spring.html',
    'mkt template render spring-sale --customer ana@example.org --text',
    'mkt template render sms/flash-sale --data vars.json',
  ],
  'template new': ['mkt template new email welcome        # interactive', 'mkt template new sms flash --text "Sale today! {{ first_name }}" --footer "Reply STOP to opt out"'],
  suppress: ['mkt suppress add ana@example.org --channel email', 'mkt suppress list --channel sms'],
  'suppress add': ['mkt suppress add ana@example.org --channel email --note "asked by phone"', 'mkt suppress add +447911123456 --channel sms --reason stop_keyword'],
  'suppress remove': ['mkt suppress remove ana@example.org --channel email', 'mkt suppress remove ana@example.org --channel email --yes   # in scripts'],
  'suppress list': ['mkt suppress list', 'mkt suppress list --channel email --json'],
  'suppress import': ['mkt suppress import unsubscribes.csv --channel email', 'mkt suppress import bounces.jsonl --reason bounced'],
  serve: ['mkt serve', 'mkt serve --host 0.0.0.0 --port 8080'],
  feedback: ['mkt feedback import ses-events.jsonl'],
  'feedback import': ['mkt feedback import ses-events.jsonl', 'mkt feedback import twilio.json --source twilio'],
};

/** The path of a command below mkt, e.g. "campaign send". */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds the Examples section to `program` and every command below it that has lines in the table. */
export function addExamples(program: Command): void {
  const visit = (cmd: Command) => {
    const lines = EXAMPLES[commandPath(cmd)];
    if (lines) cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    cmd.commands.forEach(visit);
  };
  visit(program);
}
