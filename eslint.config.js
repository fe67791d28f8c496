// Lint rules. Besides typescript-eslint's recommended set, the import boundaries keep the
// architecture visible: the pure domain imports nothing of ferry, and only the edges that speak
// the wire (host, api, plugin SDK, conformance kit) import the generated contract code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const generatedContract = { group: ['**/contract/gen/**'], message: 'only host/, api/, contract/, plugins/ and test/ may import generated contract code; use ports and domain types' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/contract/gen/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../domain/**'], message: 'src/domain is pure: it imports nothing else of ferry' }, { group: ['@grpc/*', 'pino', 'piscina', 'node:*'], message: 'src/domain is pure: no I/O libraries' }] }] },
  },
  {
    files: ['src/orchestrator/**/*.ts', 'src/data/**/*.ts', 'src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [generatedContract] }] },
  },
);
