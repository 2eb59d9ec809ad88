// The stand-ins for browser objects live with the code that talks to them, in the browser
// library (clients/js); the app's tests use the same ones.
export * from '../../clients/js/tests/fakes';
