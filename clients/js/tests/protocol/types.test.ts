import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  OUTPUT_PATH,
  generateProtocolTypes,
  readSchema,
} from '../../../../app/scripts/generate-protocol-types.mjs';
import { DEFINITION_NAMES, SCHEMA_ID } from '../../src/protocol/types.gen';

describe('generated protocol types', () => {
  it('match the schema (run `npm run generate:protocol` after a schema change)', () => {
    expect(readFileSync(OUTPUT_PATH, 'utf8')).toBe(generateProtocolTypes(readSchema()));
  });

  it('name every definition of the schema', () => {
    const schema = readSchema();
    expect([...DEFINITION_NAMES]).toEqual(Object.keys(schema.$defs as object));
    expect(SCHEMA_ID).toBe(schema.$id);
  });

  it('refuse schema features the generator cannot express', () => {
    const schema = {
      $id: 'urn:test',
      $ref: '#/$defs/message',
      $defs: {
        message: { oneOf: [{ $ref: '#/$defs/thing' }] },
        thing: {
          type: 'object',
          properties: { when: { type: 'string', format: 'date-time' } },
          additionalProperties: false,
        },
      },
    };
    expect(() => generateProtocolTypes(schema)).toThrow(/"format"/);
  });

  it('type closed objects exactly and open objects with an index signature', () => {
    const schema = {
      $id: 'urn:test',
      $ref: '#/$defs/message',
      $defs: {
        message: { oneOf: [{ $ref: '#/$defs/thing' }] },
        thing: {
          type: 'object',
          properties: {
            type: { const: 'thing' },
            at: { $ref: '#/$defs/point' },
            meta: { type: 'object' },
          },
          required: ['type'],
          additionalProperties: false,
        },
        point: {
          type: 'array',
          prefixItems: [{ type: 'number' }, { type: 'integer' }],
          minItems: 2,
          maxItems: 2,
        },
      },
    };
    const generated = generateProtocolTypes(schema);
    expect(generated).toContain(
      'export interface ThingMessage {\n  type: "thing";\n  at?: Point;\n  meta?: {\n    [key: string]: unknown;\n  };\n}',
    );
    expect(generated).toContain('export type Point = [number, number];');
    expect(generated).toContain('export const MESSAGE_TYPES = ["thing"]');
  });
});
