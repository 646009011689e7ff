// Root Jest config: one Jest process runs every project (faster than one process per project
// on a 2-core machine). `nx test <project>` still runs a single project through its own config.
module.exports = {
  projects: [
    '<rootDir>/apps/*/jest.config.cjs',
    '<rootDir>/libs/*/jest.config.cjs',
    // Deployment checks (docker/, k8s/, docs/operations/).
    '<rootDir>/docker/jest.config.cjs',
  ],
};
