// Calibration and validation: where targets go, the procedure as a pure state machine, and the
// runner that shows the targets and talks to the server.

export * from './distances';
export * from './layout';
export * from './procedure';
