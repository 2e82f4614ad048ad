// ESLint (typescript-eslint, type-aware) for correctness; Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "native/build/", "schema/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: "./tsconfig.test.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Control characters are matched on purpose (sanitizing network input and script output).
      "no-control-regex": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // A floating promise in a daemon is a lost error.
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    // The dashboard's browser code: DOM types, its own project (bundled by scripts/build-dashboard.mjs).
    files: ["src/dashboard/browser/**/*.ts"],
    languageOptions: {
      parserOptions: {
        project: "./src/dashboard/browser/tsconfig.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Commands load what they use when they run (src/util/lazy.ts): `require`,
    // typed with `typeof import(...)`, which the single executable serves. So
    // do the daemon's modules that load with what the configuration uses.
    files: [
      "src/cli/**/*.ts",
      "src/daemon/backend-factory.ts",
      "src/daemon/daemon.ts",
      "src/metrics/metrics.ts",
      "src/util/bearer.ts",
      "src/util/dbus-call.ts",
    ],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Tests read the CLI's JSON output: untyped by nature, checked by the assertions.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
        module: "writable",
      },
    },
  },
);
