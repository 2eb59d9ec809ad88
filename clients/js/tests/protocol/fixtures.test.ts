import { describe, expect, it } from 'vitest';
import { readSchema } from '../../../../app/scripts/generate-protocol-types.mjs';
import {
  CLIENT_ONLY_TYPES,
  SERVER_MESSAGE_TYPES,
  encodeClientMessage,
  parseServerMessage,
} from '../../src/protocol/messages';
import { ProtocolViolation, createValidator } from '../../src/protocol/validate';
import { invalidFixtures, validFixtures } from '../fixtures';

const validator = createValidator();
/** The directions the schema's `message` description states: "Client to server: a, b. Server to client: c." */
function directions(): { client: Set<string>; server: Set<string> } {
  const description = String(
    (readSchema().$defs as Record<string, { description?: string }>).message?.description,
  );
  const list = (label: string): Set<string> => {
    const match = new RegExp(`${label}: ([^.]+)\\.`).exec(description);
    if (match?.[1] === undefined)
      throw new Error(`the message description has no "${label}:" list`);
    // A type may carry a note in parentheses, e.g. "session (WebSocket only)".
    const types = match[1].replace(/\s*\([^)]*\)/g, '');
    return new Set(types.split(',').map((type) => type.trim()));
  };
  return { client: list('Client to server'), server: list('Server to client') };
}

const { client: CLIENT_TYPES, server: SERVER_TYPES } = directions();

describe('message directions', () => {
  it('the library knows which messages only a client sends', () => {
    const clientOnly = [...CLIENT_TYPES].filter((type) => !SERVER_TYPES.has(type));
    expect([...CLIENT_ONLY_TYPES].sort()).toEqual(clientOnly.sort());
    expect([...SERVER_MESSAGE_TYPES].sort()).toEqual([...SERVER_TYPES].sort());
  });
});

describe('contract fixtures', () => {
  it('exist, valid and invalid', () => {
    expect(validFixtures().length).toBeGreaterThanOrEqual(10);
    expect(invalidFixtures().length).toBeGreaterThanOrEqual(5);
  });

  it.each(validFixtures().map((f) => [f.file, f] as const))(
    '%s satisfies its definition',
    (_, f) => {
      expect(() => validator.assertValid(f.definition, f.value)).not.toThrow();
    },
  );

  it.each(invalidFixtures().map((f) => [f.file, f] as const))('invalid/%s is rejected', (_, f) => {
    expect(validator.isValid(f.definition, f.value)).toBe(false);
    expect(() => validator.assertValid(f.definition, f.value)).toThrow(ProtocolViolation);
  });

  it.each(
    validFixtures()
      .filter((f) => SERVER_TYPES.has(f.definition))
      .map((f) => [f.file, f] as const),
  )('the app parses the server message %s', (_, f) => {
    const parsed = parseServerMessage(JSON.stringify(f.value), validator);
    expect(parsed).toEqual(f.value);
  });

  it.each(
    invalidFixtures()
      .filter((f) => SERVER_TYPES.has(f.definition))
      .map((f) => [f.file, f] as const),
  )('the app refuses the invalid server message %s', (_, f) => {
    expect(() => parseServerMessage(JSON.stringify(f.value), validator)).toThrow(ProtocolViolation);
  });

  it.each(
    validFixtures()
      .filter((f) => CLIENT_TYPES.has(f.definition))
      .map((f) => [f.file, f] as const),
  )('the app can send the client message %s', (_, f) => {
    const text = encodeClientMessage(
      f.value as Parameters<typeof encodeClientMessage>[0],
      validator,
    );
    expect(JSON.parse(text)).toEqual(f.value);
  });
});

describe('parseServerMessage', () => {
  it('names the offending field', () => {
    const sample = validFixtures().find((f) => f.file === 'sample.face.json')?.value as Record<
      string,
      unknown
    >;
    const broken = { ...sample, tracking: 'guessing' };
    expect(() => parseServerMessage(JSON.stringify(broken), validator)).toThrow(/\/tracking/);
  });

  it('refuses binary data, non-JSON, non-objects and client-only types', () => {
    expect(() => parseServerMessage(new ArrayBuffer(4), validator)).toThrow(/binary/);
    expect(() => parseServerMessage('{"v": 1, "type": ', validator)).toThrow(/not JSON/);
    expect(() => parseServerMessage('[1, 2]', validator)).toThrow(/JSON object/);
    expect(() => parseServerMessage('{"v": 1, "type": "hello"}', validator)).toThrow(/"hello"/);
    expect(() => parseServerMessage('{"v": 1, "type": "telepathy"}', validator)).toThrow(
      /"telepathy"/,
    );
  });
});
