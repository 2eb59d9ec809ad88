// Lint with the app's ESLint, plugins and rules (app/node_modules): one toolchain for both, no
// second install. `make lib-check` installs the app first.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const fromApp = createRequire(new URL('../../app/package.json', import.meta.url));
/** @param {string} name */
const load = async (name) => import(pathToFileURL(fromApp.resolve(name)).href);

const { default: js } = await load('@eslint/js');
const { default: tseslint } = await load('typescript-eslint');
const { default: globals } = await load('globals');

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/protocol/validators.gen.js'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ['scripts/**', 'tests/**', '*.config.*'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // This file loads the plugins from the app's folder at run time: untyped here, `any` is honest.
    files: ['eslint.config.js'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
