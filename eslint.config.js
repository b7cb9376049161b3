// Lint rules, including the dependency arrows of the style guide (§1): emulator/ is an independent
// reading of TikTok's contract and never imports the client; inner layers never import outer ones.
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      eqeqeq: ['error', 'smart'],
      // Settings are read once, by src/config.ts via the CLI; nothing else reads the environment.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through src/config.ts (loadConfig).' }],
    },
  },
  { files: ['src/cli/**', 'test/**', 'bench/**', '**/*.test.ts'], rules: { 'no-restricted-properties': 'off' } },
  // The dashboard runs in the browser and is a client of the HTTP API like any script: it imports no server code.
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules, 'no-restricted-properties': 'off' },
  },
  layer(['web/**'], ['**/src/**'], 'web/ talks to Cohort only over HTTP: no server imports.'),
  layer(['src/emulator/**'], ['**/partners/**', '**/engine/**', '**/sync/**', '**/store/**', '**/api/**', '**/cli/**'],
    'The emulator is an independent reading of the TikTok contract: it imports only core/.'),
  layer(['src/partners/**'], ['**/engine/**', '**/sync/**', '**/store/**', '**/api/**', '**/cli/**', '**/emulator/**'],
    'partners/ is inner: pure builders and a thin HTTP client.'),
  layer(['src/webhooks/**'], ['**/api/**', '**/cli/**', '**/store/**', '**/sync/**', '**/partners/**', '**/emulator/**'],
    'webhooks/ is the guarded outbound HTTP: it decides on addresses (core/ errors, the step IO shape) and nothing else.'),
  layer(['src/core/**'], ['**/partners/**', '**/engine/**', '**/sync/**', '**/store/**', '**/api/**', '**/cli/**', '**/emulator/**'],
    'core/ depends on nothing.'),
);
