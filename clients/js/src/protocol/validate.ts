// Validation against the server's JSON Schema (srv/gazertc/protocol/schema.json), the same file
// the Python server validates with. The validators are compiled from it before a build
// (app/scripts/generate-validators.mjs): compiling at run time needs `new Function`, which the
// server's Content-Security-Policy forbids.

import type { DefinitionName, Definitions } from './types.gen';
import { validators, type SchemaError } from './validators.gen.js';

/** A value that does not satisfy its schema definition (or is not JSON at all). */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';

  constructor(
    message: string,
    /** The definition the value was checked against, when known. */
    readonly definition: DefinitionName | null = null,
  ) {
    super(message);
  }
}

/** One line per schema error, e.g. `/right_eye/centre_px: must NOT have more than 2 items`. */
export function describeErrors(errors: readonly SchemaError[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'invalid';
  return errors
    .map((error) => {
      const where = error.instancePath === '' ? '(root)' : error.instancePath;
      const extra =
        error.keyword === 'additionalProperties'
          ? ` (${String(error.params['additionalProperty'])})`
          : error.keyword === 'enum' || error.keyword === 'const'
            ? ` (${JSON.stringify(error.params)})`
            : '';
      return `${where}: ${error.message ?? error.keyword}${extra}`;
    })
    .join('; ');
}

export interface ProtocolValidator {
  /** Whether `value` satisfies the definition `name`. */
  isValid<K extends DefinitionName>(name: K, value: unknown): value is Definitions[K];
  /** @throws ProtocolViolation naming the offending fields. */
  assertValid<K extends DefinitionName>(name: K, value: unknown): asserts value is Definitions[K];
}

/** A validator over the protocol schema. */
export function createValidator(): ProtocolValidator {
  function isValid<K extends DefinitionName>(name: K, value: unknown): value is Definitions[K] {
    return validators[name](value);
  }

  function assertValid<K extends DefinitionName>(
    name: K,
    value: unknown,
  ): asserts value is Definitions[K] {
    const validate = validators[name];
    if (!validate(value)) {
      throw new ProtocolViolation(`not a valid ${name}: ${describeErrors(validate.errors)}`, name);
    }
  }

  return { isValid, assertValid };
}

const shared: ProtocolValidator = createValidator();

/** The validator shared by every session. */
export function protocolValidator(): ProtocolValidator {
  return shared;
}
