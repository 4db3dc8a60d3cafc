import { defineConfig } from 'vitest/config'

const packages = ['schema', 'policies', 'client', 'relay']

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        test: {
          name,
          root: `packages/${name}`,
          include: ['test/**/*.test.ts'],
        },
      })),
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 600_000,
        },
      },
    ],
  },
})
