// What scripts/generate-validators.mjs writes into validators.gen.js (not kept in git): one
// compiled validator per definition of the protocol schema.

import type { ValidateFunction } from 'ajv';
import type { DefinitionName } from './types.gen';

export declare const validators: Readonly<Record<DefinitionName, ValidateFunction>>;
