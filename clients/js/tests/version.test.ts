import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { version } from '../src/version';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('version', () => {
  it('is the Python package version, in package.json too', () => {
    const python = /^__version__ = "([^"]+)"$/m.exec(read('../../../srv/gazertc/__init__.py'))?.[1];
    expect(version).toBe(python);
    expect((JSON.parse(read('../package.json')) as { version: string }).version).toBe(version);
  });
});
