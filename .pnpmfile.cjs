// typescript-eslint reads sources through TypeScript's JavaScript API, which TypeScript 7 (the native
// compiler this repository builds and typechecks with) does not have. Its packages get TypeScript 6.0 as
// a dependency of their own instead of the workspace's TypeScript as a peer; only eslint uses it.
// @effect/eslint-plugin imports @typescript-eslint/utils without declaring it.
const typescriptForEslint = "6.0.3"

function readPackage(pkg) {
  const name = pkg.name ?? ""
  if (name === "typescript-eslint" || name.startsWith("@typescript-eslint/") || name === "ts-api-utils") {
    if (pkg.peerDependencies && pkg.peerDependencies.typescript) {
      delete pkg.peerDependencies.typescript
      pkg.dependencies = { ...pkg.dependencies, typescript: typescriptForEslint }
    }
  }
  if (name === "@effect/eslint-plugin") {
    pkg.dependencies = { ...pkg.dependencies, "@typescript-eslint/utils": "^8.74.0" }
  }
  return pkg
}

module.exports = { hooks: { readPackage } }
