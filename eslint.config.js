// ESLint's recommended rules plus typescript-eslint's recommended-type-checked over mkt's
// TypeScript (src and test), with type information from tsconfig.test.json (which covers both).
// Every rule turned off or narrowed below says why; the base stays recommended-type-checked.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // plain-JS entry points, benchmarks and scripts run as they are and have no type information
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'scripts/**', 'bin/**', 'drizzle/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // mkt's convention for a deliberately unused name is a leading underscore: a factory
      // argument a provider does not need (`_ctx`), or a field left out by destructuring
      // (`const { secret: _s, ...rest } = row`)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An `async` function that implements a Promise-returning contract (Provider.close, a
      // provider factory, the Prompter) without awaiting anything is how mkt keeps a throw
      // inside it a rejection rather than a synchronous exception; dropping `async` to please
      // this rule would change that behaviour.
      '@typescript-eslint/require-await': 'off',
      // mkt matches control characters on purpose: terminal escapes (colour, progress, pty
      // output), NUL and C0 in untrusted text (redaction, serve's headers, dual render's
      // markers). The rule exists to catch an accidental one; here every hit is deliberate.
      'no-control-regex': 'off',
      // String(value) over decoded JSON/YAML and SQL values (report cells, feedback codes,
      // segment values, table cells) is deliberate: those are scalars by the time they are
      // shown, and an object printing as [object Object] is visible in a test, not a leak.
      // Typing each to a scalar union first is churn across many files for no caught bug.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Tests read the CLI's `--json` output and the fakes' recorded requests through
    // JSON.parse, which is `any` by design: the assertions themselves check the shape, and a
    // hand-written type per output would only repeat what the test asserts. Hundreds of hits,
    // none of them a bug, so the no-unsafe-* family is off in test/ only (src keeps it).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // browser-side code in page.evaluate has no DOM types in this project (lib is ES2023 only)
      '@typescript-eslint/no-explicit-any': 'off',
      // expect(provider.check).toBeUndefined() and the like refer to a method without calling it
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
