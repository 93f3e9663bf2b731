/**
 * Benchmark of the lineage queries on a 10,000-run replica (real sql.js).
 * Run from the repository root:  npx jest -c bench/queries/jest.config.js
 * Prints figures only; never asserts time (see bench/README.md).
 */
const path = require('path');

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/plumbline/labextension', '<rootDir>/ui-tests'],
  testRegex: 'bench/queries/.*\\.bench\\.ts$',
  testTimeout: 600000,
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/bench/queries/tsconfig.json' }]
  },
  moduleNameMapper: {
    '\\.wasm$': '<rootDir>/src/__tests__/wasmStub.js'
  }
};
