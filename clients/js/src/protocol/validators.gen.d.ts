// What app/scripts/generate-validators.mjs writes into validators.gen.js (not kept in git): one
// compiled validator per definition of the protocol schema. The shapes are the parts of ajv's
// ValidateFunction and ErrorObject that are used, so the library needs no ajv at run time or in
// its published types.

import type { DefinitionName } from './types.gen';

/** One schema error, as ajv reports it. */
export interface SchemaError {
  /** JSON Pointer to the offending value, '' for the root. */
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface CompiledValidator {
  (value: unknown): boolean;
  /** The last call's errors, null when it passed. */
  errors?: SchemaError[] | null;
}

export declare const validators: Readonly<Record<DefinitionName, CompiledValidator>>;
