/**
 * The layering of src/, enforced by `npm run lint:deps` (part of `npm test`). docs/architecture.md
 * draws the same picture; change both together.
 *
 * Layers, top to bottom. A module may import from its own layer's folder and from any layer
 * below it, never from one above:
 *
 *   5 presentation  src/cli, src/output          (only src/cli imports src/output)
 *   4 features      src/campaigns, and the workspace tools src/workspace/{doctor,init,names}.ts
 *   3 domain        src/compliance, src/dispatch, src/templates, src/segments, src/customers,
 *                   src/providers, and the workspace toolkit (the rest of src/workspace)
 *   2 store         src/db
 *   1 base          src/errors.ts, src/channels.ts, src/util
 *
 * Inside the domain layer folders may use each other (compliance reads customers' address
 * rules, segments use the workspace toolkit) as long as there is no cycle, with two rules that
 * keep its parts replaceable: the workspace toolkit uses no other domain folder, and the
 * dispatcher sees providers and templates only through their contracts.
 *
 * No exceptions: the one there was (src/db/open.ts running customers/recheck.ts) is gone; the
 * caller passes the re-check to openStore (src/cli/context.ts). Fix a violation by moving code
 * to the layer it belongs in, not by listing it here.
 */

const PRESENTATION = '^src/(cli|output)/';
const FEATURES = '^src/(campaigns/|workspace/(doctor|init|names)[.]ts$)';
const TOOLKIT = '^src/workspace/(?!(doctor|init|names)[.]ts$)';
const DOMAIN = `^src/(compliance|dispatch|templates|segments|customers|providers)/|${TOOLKIT}`;
const STORE = '^src/db/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one piece: merge them, or move what both need below both.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'output-only-from-cli',
      severity: 'error',
      comment: 'src/output (tables, --json, progress, exit codes) is presentation; the core returns values and throws MktError.',
      from: { path: '^src/', pathNot: PRESENTATION },
      to: { path: '^src/output/' },
    },
    {
      name: 'core-not-into-cli',
      severity: 'error',
      comment: 'Only bin/ and src/cli know commander, the TTY and the prompter; the core runs without them.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'domain-not-into-features',
      severity: 'error',
      comment: 'Domain modules are libraries campaigns plug in (compliance never imports campaigns).',
      from: { path: `${DOMAIN}|${STORE}|^src/(errors|channels)[.]ts$|^src/util/` },
      to: { path: FEATURES },
    },
    {
      name: 'store-only-below',
      severity: 'error',
      comment: 'src/db imports nothing above it except errors, channels and util.',
      from: { path: STORE },
      to: { path: '^src/', pathNot: `${STORE}|^src/(errors|channels)[.]ts$|^src/util/` },
    },
    {
      name: 'base-is-the-bottom',
      severity: 'error',
      comment: 'errors, channels and util import nothing of mkt but each other.',
      from: { path: '^src/(errors[.]ts|channels[.]ts|util/)' },
      to: { path: '^src/', pathNot: '^src/(errors|channels)[.]ts$|^src/util/' },
    },
    {
      name: 'sql-driver-only-in-db',
      severity: 'error',
      comment: 'All SQL lives in src/db behind repositories; nothing else touches the driver or the ORM.',
      from: { path: '^src/', pathNot: STORE },
      to: { path: '(^|/)node_modules/(better-sqlite3|drizzle-orm|pg|pg-pool|@types/better-sqlite3|@types/pg)/' },
    },
    {
      name: 'toolkit-is-a-leaf',
      severity: 'error',
      comment: 'The workspace toolkit serves every workspace file; it uses no other domain folder.',
      from: { path: TOOLKIT },
      to: { path: '^src/(compliance|dispatch|templates|segments|customers|providers)/' },
    },
    {
      name: 'dispatch-sees-contracts',
      severity: 'error',
      comment: 'The send loop depends on the provider and template contracts, not on a provider or the engine.',
      from: { path: '^src/dispatch/' },
      to: { path: '^src/(providers|templates)/', pathNot: '^src/(providers|templates)/contract[.]ts$' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve would fail at run time.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^src/', 'node_modules'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
