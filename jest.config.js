/** jest runs the TypeScript query and replica code against real sql.js (wasm, in Node). */
module.exports = {
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/plumbline/labextension', '<rootDir>/ui-tests', '<rootDir>/.venv'],
  testRegex: 'src/.*/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  moduleNameMapper: {
    // The browser build imports the wasm URL; Node's sql.js finds its own wasm.
    '\\.wasm$': '<rootDir>/src/__tests__/wasmStub.js'
  }
};
