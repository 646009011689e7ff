const preset = require('../../jest.preset.js');

module.exports = {
  displayName: 'notification-service',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
  // In-process services log at `warn` unless LOG_LEVEL says otherwise (quiet test output).
  setupFiles: [...preset.setupFiles, '<rootDir>/test/quiet-logs.cjs'],
};
