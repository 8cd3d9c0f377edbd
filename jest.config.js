// The sources are written as ES modules and bundled by esbuild for Lambda. Jest runs them as
// CommonJS through ts-jest, which also transpiles the ESM-only packages listed below (ky is
// published as ES modules only), so no experimental VM-modules flag is needed.
const esmOnlyPackages = ['ky', 'p-limit', 'yocto-queue'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  setupFiles: ['<rootDir>/test/helpers/test-environment.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 30_000,
  collectCoverageFrom: ['cli/**/*.ts', 'functions/**/*.ts', 'lib/**/*.ts', 'local/**/*.ts'],
};
