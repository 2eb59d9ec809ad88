// The contract fixtures' loader lives with the protocol in the browser library (clients/js).
export * from '../../clients/js/tests/fixtures';
