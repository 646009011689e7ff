// Shared Jest settings for every project. Test kinds are told apart by file name:
//   *.spec.ts             unit (ports mocked only)
//   *.integration-spec.ts real PostgreSQL/PostGIS and Redis from tools/stack
//   *.e2e-spec.ts         built apps started as processes (apps/system-e2e)
// tools/scripts/test.mjs selects a kind with --testPathPatterns.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/?(*.)+(spec|integration-spec|e2e-spec).ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json') }],
  },
  moduleNameMapper: {
    '^@gad/(audit|bus|client|config|contracts|geo-read|observability|platform|testing)$': path.join(
      __dirname,
      'libs/$1/src/index.ts',
    ),
  },
  setupFiles: [path.join(__dirname, 'tools/scripts/jest-setup.js')],
  testTimeout: 30000,
};
