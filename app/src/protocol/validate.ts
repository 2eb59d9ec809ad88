// Validation against the server's JSON Schema (srv/gazertc/protocol/schema.json), the same file
// the Python server validates with. Validators are compiled once per definition, on first use.

import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import schema from '@schema';
import { SCHEMA_ID, type DefinitionName, type Definitions } from './types.gen';

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
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (errors === null || errors === undefined || errors.length === 0) return 'invalid';
  return errors
    .map((error) => {
      const where = error.instancePath === '' ? '(root)' : error.instancePath;
      const extra =
        error.keyword === 'additionalProperties'
          ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
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

/** A validator over the protocol schema; definitions are compiled on first use. */
export function createValidator(): ProtocolValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addSchema(schema);
  const compiled = new Map<DefinitionName, ValidateFunction>();

  function validatorFor(name: DefinitionName): ValidateFunction {
    let validate = compiled.get(name);
    if (validate === undefined) {
      validate = ajv.getSchema(`${SCHEMA_ID}#/$defs/${name}`);
      if (validate === undefined) throw new Error(`the protocol schema has no definition ${name}`);
      compiled.set(name, validate);
    }
    return validate;
  }

  function isValid<K extends DefinitionName>(name: K, value: unknown): value is Definitions[K] {
    return validatorFor(name)(value);
  }

  function assertValid<K extends DefinitionName>(
    name: K,
    value: unknown,
  ): asserts value is Definitions[K] {
    const validate = validatorFor(name);
    if (!validate(value)) {
      throw new ProtocolViolation(`not a valid ${name}: ${describeErrors(validate.errors)}`, name);
    }
  }

  return { isValid, assertValid };
}

let shared: ProtocolValidator | null = null;

/** The validator the app uses (created on first use: compiling costs a few milliseconds). */
export function protocolValidator(): ProtocolValidator {
  shared ??= createValidator();
  return shared;
}
