import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Namespace, firewall and kmsg tests share kernel state: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Syslog RFC 3164 stamps are local time; the fixtures are UTC.
    env: { TZ: 'UTC' },
  },
});
