module.exports = {
  displayName: 'audit-log-worker',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
