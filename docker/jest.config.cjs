// Deployment checks: docker/compose.yml (dclint + env schemas), the k8s overlays (kubectl
// kustomize + kubernetes-models) and the observability catalog (alerts/dashboard vs /metrics).
module.exports = {
  displayName: 'deploy',
  preset: '../jest.preset.js',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
};
