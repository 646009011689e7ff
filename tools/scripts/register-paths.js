// Preloaded into every built app (`node -r ./tools/scripts/register-paths.js dist/apps/<app>/src/main.js`):
// resolves the `@gad/<lib>` aliases to the compiled libraries in dist/ at run time.
// See docs/adr/0001-build-with-tsc-and-runtime-path-mapping.md.
'use strict';
const path = require('node:path');
const { register } = require('tsconfig-paths');

register({
  baseUrl: path.resolve(__dirname, '..', '..', 'dist'),
  paths: { '@gad/*': ['libs/*/src/index.js'] },
  // Only the aliases: bare package names keep resolving from node_modules as usual.
  addMatchAll: false,
});
