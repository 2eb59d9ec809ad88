// Stand-ins for browser objects jsdom lacks (camera, peer connection). Each implements the part
// of the real interface the code uses; the code under test is always the real one.

export class FakeTrack extends EventTarget {
  readonly kind = 'video';
  readyState: MediaStreamTrackState = 'live';
  constructor(
    readonly label: string,
    private readonly settings: MediaTrackSettings,
  ) {
    super();
  }
  getSettings(): MediaTrackSettings {
    return this.settings;
  }
  stop(): void {
    this.readyState = 'ended';
  }
  /** The camera went away (unplugged): the browser ends the track and fires `ended`. */
  endByItself(): void {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}

export class FakeStream {
  constructor(readonly tracks: FakeTrack[]) {}
  getTracks(): FakeTrack[] {
    return this.tracks;
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks;
  }
}

export const CAMERAS = [
  { kind: 'videoinput', deviceId: 'front', label: 'Front camera', groupId: 'g1' },
  { kind: 'videoinput', deviceId: 'usb', label: 'USB camera', groupId: 'g2' },
  { kind: 'audioinput', deviceId: 'mic', label: 'Microphone', groupId: 'g1' },
];

/** navigator.mediaDevices that grants (or refuses with `refusal`) and records what was asked. */
export class FakeMediaDevices extends EventTarget {
  readonly requests: MediaStreamConstraints[] = [];
  readonly streams: FakeStream[] = [];
  listeners = 0;
  refusal: DOMException | null = null;

  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
    this.requests.push(constraints);
    if (this.refusal !== null) return Promise.reject(this.refusal);
    const video = constraints.video as MediaTrackConstraints;
    const deviceId = (video.deviceId as { exact?: string } | undefined)?.exact ?? 'front';
    const stream = new FakeStream([
      new FakeTrack(deviceId === 'usb' ? 'USB camera' : 'Front camera', {
        width: 640,
        height: 480,
        frameRate: 30,
        deviceId,
      }),
    ]);
    this.streams.push(stream);
    return Promise.resolve(stream as unknown as MediaStream);
  }

  enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return Promise.resolve(CAMERAS as unknown as MediaDeviceInfo[]);
  }

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners += 1;
    super.addEventListener(...args);
  }

  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners -= 1;
    super.removeEventListener(...args);
  }

  asMediaDevices(): MediaDevices {
    return this as unknown as MediaDevices;
  }
}

export class FakeDataChannel extends EventTarget {
  readyState: RTCDataChannelState = 'connecting';
  readonly sent: string[] = [];
  listeners = 0;

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners += 1;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners -= 1;
    super.removeEventListener(...args);
  }
  send(text: string): void {
    if (this.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError');
    this.sent.push(text);
  }
  close(): void {
    this.readyState = 'closed';
  }
  /** The remote side opened the channel. */
  open(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  /** A message from the server. */
  receive(message: unknown): void {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    this.dispatchEvent(new MessageEvent('message', { data }));
  }
  /** The server closed the channel. */
  closeByRemote(): void {
    this.readyState = 'closed';
    this.dispatchEvent(new Event('close'));
  }
  /** The sent messages, parsed. */
  sentMessages(): Array<{ type: string } & Record<string, unknown>> {
    return this.sent.map((text) => JSON.parse(text) as { type: string } & Record<string, unknown>);
  }
}

/** The sending half of a transceiver: which track goes out (null: none, the video is paused). */
export class FakeSender {
  constructor(public track: unknown) {}
  replaceTrack(track: unknown): Promise<void> {
    this.track = track;
    return Promise.resolve();
  }
}

/** An RTCPeerConnection that can make an offer (no network): enough to reach signalling. */
export class FakePeerConnection extends EventTarget {
  static created: FakePeerConnection[] = [];
  iceGatheringState: RTCIceGatheringState = 'new';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  closed = false;
  readonly transceivers: { track: unknown; init: unknown; sender: FakeSender }[] = [];

  constructor() {
    super();
    FakePeerConnection.created.push(this);
  }
  addTransceiver(track: unknown, init: unknown): { sender: FakeSender } {
    const transceiver = { track, init, sender: new FakeSender(track) };
    this.transceivers.push(transceiver);
    return transceiver;
  }
  readonly channels: FakeDataChannel[] = [];
  /** Open the data channel when the answer is applied, as a reachable server would. */
  opensOnAnswer = true;

  createDataChannel(): FakeDataChannel {
    const channel = new FakeDataChannel();
    this.channels.push(channel);
    return channel;
  }
  createOffer(): Promise<RTCSessionDescriptionInit> {
    return Promise.resolve({ type: 'offer', sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' });
  }
  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = description;
    this.iceGatheringState = 'complete';
    return Promise.resolve();
  }
  setRemoteDescription(): Promise<void> {
    if (this.opensOnAnswer) setTimeout(() => this.channels[0]?.open(), 0);
    return Promise.resolve();
  }
  /** The connection state changes (ICE failure, network loss). */
  changeState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
  }
  asPeerConnection(): RTCPeerConnection {
    return this as unknown as RTCPeerConnection;
  }
}

/** A WebSocket to the server (no network): records what is sent; the test plays the server. */
export class FakeWebSocket extends EventTarget {
  static readonly OPEN = 1;
  static created: FakeWebSocket[] = [];
  readyState = 0;
  binaryType: BinaryType = 'blob';
  bufferedAmount = 0;
  readonly text: string[] = [];
  readonly binary: ArrayBuffer[] = [];
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {
    super();
    FakeWebSocket.created.push(this);
  }
  send(data: string | ArrayBuffer): void {
    if (this.readyState !== FakeWebSocket.OPEN) {
      throw new DOMException('not open', 'InvalidStateError');
    }
    if (typeof data === 'string') this.text.push(data);
    else this.binary.push(data);
  }
  close(code?: number, reason?: string): void {
    this.readyState = 3;
    this.closedWith = {
      ...(code === undefined ? {} : { code }),
      ...(reason === undefined ? {} : { reason }),
    };
  }
  /** The upgrade went through. */
  open(): void {
    this.readyState = FakeWebSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }
  /** A text message from the server. */
  receive(message: unknown): void {
    const data = typeof message === 'string' ? message : JSON.stringify(message);
    this.dispatchEvent(new MessageEvent('message', { data }));
  }
  closeByRemote(reason = ''): void {
    this.readyState = 3;
    const event = new Event('close') as Event & { reason: string; code: number };
    Object.assign(event, { reason, code: 1011 });
    this.dispatchEvent(event);
  }
  sentMessages(): Array<{ type: string } & Record<string, unknown>> {
    return this.text.map((text) => JSON.parse(text) as { type: string } & Record<string, unknown>);
  }
  asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }
}
