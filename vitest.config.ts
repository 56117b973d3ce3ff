import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"],
          environment: "node",
          // Property tests run thousands of cases: 5 s is too little on a shared machine at load 20.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          // Runs after the unit project: a broken pure function fails fast, before minutes of I/O.
          sequence: { groupOrder: 1 },
          include: ["test/**/*.test.ts"],
          // The suites run services as `node services/<name>/dist/main.js`: built once, before any file.
          globalSetup: ["test/global-setup.ts"],
          environment: "node",
          // Each file starts its own Redis and Dovecot users; two at a time fits a 2-core machine.
          maxWorkers: 2,
          // Hang guards, not speed limits: waits inside tests stretch with the machine's load
          // (test/support/stack.ts loadSlack, up to 4×), so a whole test may too.
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
