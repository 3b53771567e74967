import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals for the plain .mjs scripts (the TypeScript files get theirs from @types/node).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map(
    (name) => [name, 'readonly'],
  ),
);

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'test-output/', '.tools', '.stack'] },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // An async function without await is how Fastify plugins, hooks, Kafka handlers and test
      // doubles meet a Promise-returning contract; the promise rules above catch the real misuse.
      '@typescript-eslint/require-await': 'off',
      // The entry points declare the running service before installing the signal handler that
      // stops it, so a signal during start-up still shuts down cleanly.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The registry library's index loads every cloud KMS SDK; src/registry/library.ts loads its parts.
      'no-restricted-imports': ['error', { paths: [{ name: '@confluentinc/schemaregistry', message: 'import it from src/registry/library.ts' }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.stringContaining) as any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
