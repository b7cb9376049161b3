import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real HTTP servers; 2 cores is the target machine, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for a page or a server to reach a state. Vitest's 1 s default is shorter than a dashboard
    // reload takes on 2 busy cores (CI failed once on it); a poll still fails when the state never comes.
    expect: { poll: { timeout: 10_000 } },
  },
});
