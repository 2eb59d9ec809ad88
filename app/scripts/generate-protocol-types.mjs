// Generates the browser library's src/protocol/types.gen.ts (clients/js) from the server's JSON Schema, the one source of truth.
//
//   node scripts/generate-protocol-types.mjs          write the file
//   node scripts/generate-protocol-types.mjs --check  exit 1 when the file is out of date
//
// clients/js/tests/protocol/types.test.ts runs the same generator and fails when the checked-in
// file drifts.
// Only the JSON Schema features the protocol uses are supported; anything else is an error, so a
// schema change that this generator cannot express is noticed instead of silently typed `unknown`.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_PATH = resolve(HERE, '../../srv/gazertc/protocol/schema.json');
export const OUTPUT_PATH = resolve(HERE, '../../clients/js/src/protocol/types.gen.ts');

/** Keywords that only constrain values and have no TypeScript counterpart. */
const VALUE_ONLY_KEYWORDS = new Set([
  'description',
  'title',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'uniqueItems',
  'minItems',
  'maxItems',
  '$schema',
  '$id',
]);

/** @typedef {{definitions: Record<string, Record<string, any>>, messages: Set<string>}} Context */

const HANDLED_KEYWORDS = new Set([
  ...VALUE_ONLY_KEYWORDS,
  '$ref',
  '$defs',
  'const',
  'enum',
  'oneOf',
  'anyOf',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
]);

/**
 * @param {string | undefined} ref
 * @returns {string | null}  the definition a local `#/$defs/...` reference names
 */
function refName(ref) {
  const match = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref ?? '');
  return match?.[1] ?? null;
}

/**
 * The data-channel messages: the definitions the root's `oneOf` lists.
 * @param {Record<string, any>} schema
 * @returns {Set<string>}
 */
function messageNames(schema) {
  const root = refName(schema.$ref);
  if (root === null) throw new Error('the schema root must be a $ref to one of its $defs');
  const alternatives = schema.$defs[root]?.oneOf;
  if (!Array.isArray(alternatives)) throw new Error(`#/$defs/${root} must be a oneOf of messages`);
  return new Set(
    alternatives.map(/** @param {{$ref?: string}} node */ (node) => refName(node.$ref) ?? ''),
  );
}

/**
 * The TypeScript name of a schema definition: PascalCase, and data-channel messages get a
 * `Message` suffix (`sample` -> `SampleMessage`; `error` must not shadow the global `Error`).
 * @param {string} name
 * @param {Set<string>} messages
 * @returns {string}
 */
export function typeName(name, messages) {
  const pascal = name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return messages.has(name) ? `${pascal}Message` : pascal;
}

/**
 * @param {string} text
 * @param {string} indent
 * @returns {string}
 */
function docComment(text, indent) {
  const lines = text.split('\n');
  if (lines.length === 1) return `${indent}/** ${text.replaceAll('*/', '*\\/')} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`).join('\n')}\n${indent} */\n`;
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function literal(value) {
  return JSON.stringify(value);
}

/**
 * @param {string} key
 * @returns {string}
 */
function propertyKey(key) {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
}

/**
 * @param {string[]} members
 * @returns {string}
 */
function union(members) {
  const unique = [...new Set(members)];
  return unique.length === 1 ? /** @type {string} */ (unique[0]) : unique.join(' | ');
}

/**
 * The TypeScript type of one schema node.
 * @param {Record<string, any>} node
 * @param {Context} context
 * @param {string} where  JSON pointer of the node, for error messages
 * @param {string} indent
 * @returns {string}
 */
function typeOf(node, context, where, indent) {
  for (const keyword of Object.keys(node)) {
    if (!HANDLED_KEYWORDS.has(keyword)) {
      throw new Error(`${where}: the type generator does not support "${keyword}"`);
    }
  }
  if ('$ref' in node) {
    const name = refName(node.$ref);
    if (name === null || !(name in context.definitions)) {
      throw new Error(`${where}: unsupported or dangling $ref ${node.$ref}`);
    }
    return typeName(name, context.messages);
  }
  if ('const' in node) return literal(node.const);
  if ('enum' in node) return union(node.enum.map(literal));
  const alternatives = node.oneOf ?? node.anyOf;
  if (alternatives !== undefined) {
    return union(
      alternatives.map(
        /** @param {Record<string, any>} alternative @param {number} index */
        (alternative, index) => typeOf(alternative, context, `${where}/oneOf/${index}`, indent),
      ),
    );
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (node.type === undefined)
    throw new Error(`${where}: a node needs a type, $ref, const or enum`);
  return union(
    types.map(
      /** @param {string} type */
      (type) => {
        switch (type) {
          case 'string':
          case 'number':
          case 'boolean':
          case 'null':
            return type;
          case 'integer':
            return 'number';
          case 'array':
            return arrayType(node, context, where, indent);
          case 'object':
            return objectType(node, context, where, indent);
          default:
            throw new Error(`${where}: unsupported type ${type}`);
        }
      },
    ),
  );
}

/**
 * @param {Record<string, any>} node
 * @param {Context} context
 * @param {string} where
 * @param {string} indent
 * @returns {string}
 */
function arrayType(node, context, where, indent) {
  if (node.prefixItems !== undefined) {
    const length = node.prefixItems.length;
    if (node.minItems !== length || node.maxItems !== length) {
      throw new Error(`${where}: prefixItems must fix the length with minItems = maxItems`);
    }
    const members = node.prefixItems.map(
      /** @param {Record<string, any>} item @param {number} index */
      (item, index) => typeOf(item, context, `${where}/prefixItems/${index}`, indent),
    );
    return `[${members.join(', ')}]`;
  }
  if (node.items === undefined) return 'unknown[]';
  const item = typeOf(node.items, context, `${where}/items`, indent);
  return item.includes(' ') ? `Array<${item}>` : `${item}[]`;
}

/**
 * @param {Record<string, any>} node
 * @param {Context} context
 * @param {string} where
 * @param {string} indent
 * @returns {string}
 */
function objectType(node, context, where, indent) {
  const inner = `${indent}  `;
  const required = new Set(node.required ?? []);
  const lines = [];
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    const optional = required.has(key) ? '' : '?';
    const description = property.description;
    if (typeof description === 'string') lines.push(docComment(description, inner).trimEnd());
    const type = typeOf(property, context, `${where}/properties/${key}`, inner);
    lines.push(`${inner}${propertyKey(key)}${optional}: ${type};`);
  }
  for (const key of required) {
    if (!(key in (node.properties ?? {}))) {
      throw new Error(`${where}: required property ${key} is not declared`);
    }
  }
  const extra = node.additionalProperties;
  if (typeof extra === 'object' && extra !== null) {
    lines.push(
      `${inner}[key: string]: ${typeOf(extra, context, `${where}/additionalProperties`, inner)};`,
    );
  } else if (extra === undefined || extra === true) {
    // JSON Schema's default: any other member is allowed, of any type.
    lines.push(`${inner}[key: string]: unknown;`);
  }
  return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('\n')}\n${indent}}`;
}

/**
 * The complete TypeScript module for a schema.
 * @param {Record<string, any>} schema
 * @returns {string}
 */
export function generateProtocolTypes(schema) {
  /** @type {Record<string, Record<string, any>>} */
  const definitions = schema.$defs;
  const messages = messageNames(schema);
  /** @type {Context} */
  const context = { definitions, messages };
  const parts = [
    '// Generated from srv/gazertc/protocol/schema.json by scripts/generate-protocol-types.mjs.',
    '// Do not edit: run `make protocol-types` (tests/protocol/types.test.ts checks drift).',
    '',
    `/** The schema's $id. */`,
    `export const SCHEMA_ID = ${literal(schema.$id)};`,
    '',
  ];
  for (const [name, node] of Object.entries(definitions)) {
    const exported = typeName(name, messages);
    const body = typeOf(node, context, `#/$defs/${name}`, '');
    if (typeof node.description === 'string')
      parts.push(docComment(node.description, '').trimEnd());
    parts.push(
      body.startsWith('{\n')
        ? `export interface ${exported} ${body}\n`
        : `export type ${exported} = ${body};\n`,
    );
  }
  parts.push('/** Every definition of the schema by its name, for typed validation. */');
  parts.push('export interface Definitions {');
  for (const name of Object.keys(definitions)) {
    parts.push(`  ${propertyKey(name)}: ${typeName(name, messages)};`);
  }
  parts.push('}', '');
  parts.push('export type DefinitionName = keyof Definitions;', '');
  parts.push(
    "/** The `type` of every data-channel message (the root's oneOf), in schema order. */",
  );
  const messageTypes = [...messages].map((name) => {
    const type = definitions[name]?.properties?.type?.const;
    if (typeof type !== 'string')
      throw new Error(`#/$defs/${name}: a message needs a constant "type"`);
    return type;
  });
  parts.push(
    `export const MESSAGE_TYPES = ${literal(messageTypes)} as const satisfies readonly Message['type'][];`,
  );
  parts.push('');
  parts.push('/** The names of all definitions, in schema order. */');
  parts.push(
    `export const DEFINITION_NAMES = ${literal(Object.keys(definitions))} as const satisfies readonly DefinitionName[];`,
  );
  parts.push('');
  return parts.join('\n');
}

/** @returns {Record<string, any>} */
export function readSchema() {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const generated = generateProtocolTypes(readSchema());
  if (process.argv.includes('--check')) {
    const current = readFileSync(OUTPUT_PATH, 'utf8');
    if (current !== generated) {
      console.error(`${OUTPUT_PATH} is out of date: run npm run generate:protocol`);
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT_PATH, generated);
    console.log(`wrote ${OUTPUT_PATH}`);
  }
}
