// The package version: the Python package's (srv/gazertc/__init__.py); tests/version.test.ts
// keeps this, package.json and that file in step.
export const version = '0.1.0';
