// Lint and format in one pass: typescript-eslint's recommended rules, the size limits of CONTRIBUTING.md,
// and @effect/eslint-plugin's dprint rule, which formats TypeScript and JavaScript the way effect's own
// repository does. `pnpm lint` reports, `pnpm lint:fix` rewrites.
import * as effectEslint from "@effect/eslint-plugin"
import js from "@eslint/js"
import { defineConfig } from "eslint/config"
import globals from "globals"
import tseslint from "typescript-eslint"

const sources = ["packages/*/src/**/*.ts"]
const linted = [
  "packages/*/src/**/*.{ts,mjs}",
  "packages/*/test/**/*.{ts,mjs}",
  "packages/*/scripts/**/*.{ts,mjs}",
  "test/**/*.{ts,mjs}",
  "examples/**/*.{ts,mjs}",
  "bench/**/*.{ts,mjs}",
  "scripts/**/*.{ts,mjs}",
  "*.{ts,mjs}"
]

export default defineConfig(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/coverage/**", "test/.generated/**", ".scratch/**"] },
  {
    files: linted,
    extends: [js.configs.recommended, tseslint.configs.recommended, effectEslint.configs.dprint],
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@effect/dprint": ["error", {
        config: {
          indentWidth: 2,
          lineWidth: 120,
          semiColons: "asi",
          quoteStyle: "alwaysDouble",
          trailingCommas: "never",
          operatorPosition: "maintain",
          "arrowFunction.useParentheses": "force"
        }
      }],
      // dprint wraps code at 120 columns but leaves long strings and comments alone: this catches those.
      "max-len": ["error", { code: 120, tabWidth: 2, ignoreUrls: true }],
      "@typescript-eslint/no-unused-vars": ["error", {
        argsIgnorePattern: "^_",
        varsIgnorePattern: "^_",
        caughtErrorsIgnorePattern: "^_",
        destructuredArrayIgnorePattern: "^_"
      }],
      // `const self = this` is how an `Effect.gen(function*() { ... })` body reaches its object.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["self"] }],
      // A conditional statement (`a ? f() : g()`) is a call either way.
      "@typescript-eslint/no-unused-expressions": ["error", { allowTernary: true, allowShortCircuit: true }],
      // `{}` is how Effect's types spell "nothing", e.g. a default `const O extends Options = {}`.
      "@typescript-eslint/no-empty-object-type": "off"
    }
  },
  {
    // Outside the packages' sources a long string is data or a test's title (hex vectors, generated
    // code, `it("...")`): code and comments there stay within 120 columns, strings may not.
    files: linted,
    ignores: sources,
    rules: {
      "max-len": ["error", {
        code: 120,
        tabWidth: 2,
        ignoreUrls: true,
        ignoreStrings: true,
        ignoreTemplateLiterals: true
      }]
    }
  },
  {
    files: ["**/*.mjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" }
  },
  {
    // The sizes CONTRIBUTING.md asks of source files; a table may carry a one-line
    // `// eslint-disable-next-line max-lines-per-function -- <reason>`.
    files: sources,
    rules: {
      "max-lines": ["error", { max: 300, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }]
    }
  }
)
