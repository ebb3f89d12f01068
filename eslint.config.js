import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'bench/results.json', 'test/artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An un-awaited activity, update or query is a bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The layers of docs/architecture.md: no import runs back up. (Workflow and domain code has its own block above.)
  ...[
    ['src/contracts', ['db', 'activities', 'workflows', 'services', 'api', 'temporal', 'runtime', 'observability']],
    ['src/db', ['contracts', 'activities', 'workflows', 'services', 'api', 'temporal', 'runtime', 'observability']],
    ['src/activities', ['workflows', 'services', 'api', 'temporal', 'runtime']],
    ['src/services', ['api', 'activities', 'workflows', 'runtime']],
  ].map(([folder, above]) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: above.map((layer) => `**/${layer}/*`), message: `${folder} may not import from a layer above it (docs/architecture.md).` }],
      }],
    },
  })),
  {
    // Workflow code is replayed: no IO, clocks, randomness or Node builtins (use @temporalio/workflow's).
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*'], message: 'Workflow and domain code must not use Node builtins.' },
          { group: ['fs', 'fs/*', 'path', 'crypto', 'os', 'child_process', 'net', 'http', 'https', 'process', 'timers', 'events', 'util', 'stream', 'url', 'buffer'], message: 'Workflow and domain code must not use Node builtins.' },
          { group: ['postgres', 'hono', '@hono/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflow and domain code must not do IO.' },
          { group: ['**/db/*', '**/api/*', '**/activities/*', '!**/activities/index.js'], allowTypeImports: true, message: 'Only type imports of IO modules in workflow code.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Workflows use timers from @temporalio/workflow.' },
        { name: 'process', message: 'Workflows read no environment.' },
        { name: 'fetch', message: 'Workflows do no IO; use an activity.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow, or pass randomness in.' },
      ],
    },
  },
  {
    // Inside a workflow Date is the replay-safe workflow clock; domain code takes time as an argument.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Domain code takes the time as an argument.' },
        { object: 'Math', property: 'random', message: 'Domain code takes randomness as an argument.' },
      ],
    },
  },
);
