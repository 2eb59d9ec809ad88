// Connecting to the server: the camera, WebRTC (peer, signalling, ICE servers), the WebSocket
// fallback, the session's text protocol, and reconnecting with back-off.

export * from './camera';
export * from './frames';
export * from './iceServers';
export * from './messaging';
export * from './peer';
export * from './reconnect';
export * from './signalling';
export * from './websocket';
