// Lint: typescript-eslint recommended, `curly`, and the dependency rule of DESIGN.md §10:
// domain/ is pure, store/ knows only domain types, services/ know nothing of HTTP.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tmp/**', 'docs/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', TextDecoder: 'readonly', Blob: 'readonly', fetch: 'readonly', AbortController: 'readonly', performance: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
    rules: {
      curly: 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Only src/config.ts reads process.env.' }],
    },
  },
  { files: ['src/config.ts', 'test/**', 'bench/**', 'scripts/**', 'bin/**', 'eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
  { files: ['src/domain/**'], rules: { 'no-restricted-imports': restrict([{ group: ['**/store/**', '**/services/**', '**/http/**', '**/cli/**', 'kysely', 'pg', 'fastify', '@electric-sql/*'], message: 'domain/ is pure: no I/O.' }]) } },
  { files: ['src/store/**'], rules: { 'no-restricted-imports': restrict([{ group: ['**/services/**', '**/http/**', '**/cli/**', 'fastify'], message: 'store/ knows only domain types.' }]) } },
  { files: ['src/services/**'], rules: { 'no-restricted-imports': restrict([{ group: ['**/http/**', '**/cli/**', 'fastify', '**/main.ts'], message: 'services/ know nothing of HTTP or the CLI.' }]) } },
  { files: ['src/store/migrate.ts', 'test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
