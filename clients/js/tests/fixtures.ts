// The contract fixtures shared with the Python tests: tests/fixtures/messages/<definition>.<variant>.json
// (valid) and invalid/<definition>.<variant>.json (must be rejected).

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DefinitionName } from '../src/protocol/types.gen';
import { DEFINITION_NAMES } from '../src/protocol/types.gen';

export const FIXTURES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../tests/fixtures/messages',
);

export interface Fixture {
  file: string;
  definition: DefinitionName;
  value: unknown;
}

function isDefinitionName(name: string): name is DefinitionName {
  return (DEFINITION_NAMES as readonly string[]).includes(name);
}

function load(directory: string): Fixture[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const definition = file.split('.')[0] ?? '';
      if (!isDefinitionName(definition)) {
        throw new Error(
          `${file}: fixtures are named <definition>.<variant>.json; ${definition} is no definition`,
        );
      }
      return {
        file,
        definition,
        value: JSON.parse(readFileSync(join(directory, file), 'utf8')) as unknown,
      };
    });
}

export function validFixtures(): Fixture[] {
  return load(FIXTURES_DIR);
}

export function invalidFixtures(): Fixture[] {
  return load(join(FIXTURES_DIR, 'invalid'));
}

/** One valid fixture by file name, e.g. `sample.face.json`. */
export function fixture(file: string): unknown {
  const found = validFixtures().find((candidate) => candidate.file === file);
  if (found === undefined) throw new Error(`no fixture ${file} in ${FIXTURES_DIR}`);
  return found.value;
}
