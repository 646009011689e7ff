// Loaded before every test file: decorators need reflect-metadata, as in the apps' main.ts.
require('reflect-metadata');
