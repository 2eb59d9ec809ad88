// The wire protocol: the types generated from the server's JSON Schema, the compiled validators,
// and the builders and parsers of session messages.

export * from './messages';
export * from './types.gen';
export * from './validate';
