// Root Jest config: one Jest process runs every project (faster than one process per project
// on a 2-core machine). `nx test <project>` still runs a single project through its own config.
// `testTimeout` is a global option: project configs cannot set it when run through `projects`.
module.exports = {
  projects: [
    '<rootDir>/apps/*/jest.config.cjs',
    '<rootDir>/libs/*/jest.config.cjs',
    // Deployment checks: docker/compose.yml, k8s/ overlays, docs/operations vs the services.
    '<rootDir>/docker/jest.config.cjs',
  ],
  testTimeout: 30000,
};
