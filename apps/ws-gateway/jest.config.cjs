module.exports = {
  displayName: 'ws-gateway',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
