module.exports = {
  displayName: 'geo-read',
  preset: '../../jest.preset.js',
  rootDir: __dirname,
};
