module.exports = {
  displayName: 'geo-service',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
