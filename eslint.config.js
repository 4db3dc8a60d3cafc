import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  // Dependencies point one way: schema <- policies <- client, schema <- relay (DESIGN.md).
  ...[
    ['schema', ['@rowsync/policies', '@rowsync/client', '@rowsync/relay']],
    ['policies', ['@rowsync/client', '@rowsync/relay']],
    ['client', ['@rowsync/relay']],
    ['relay', ['@rowsync/client', '@rowsync/policies']],
  ].map(([name, forbidden]) => ({
    files: [`packages/${name}/src/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((group) => ({
              group: [group, `${group}/*`],
              message: 'see DESIGN.md',
            })),
            { group: ['../../*'], message: 'import other packages by name' },
          ],
        },
      ],
    },
  })),
  {
    files: ['test/**', 'bench/**', 'packages/*/test/**', 'packages/*/examples/**'],
    rules: { 'no-console': 'off' },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // The example app's service worker is plain JavaScript run by the browser.
  {
    files: ['packages/client/app/public/sw.js'],
    languageOptions: {
      globals: {
        self: 'readonly',
        caches: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        Response: 'readonly',
      },
    },
  },
)
