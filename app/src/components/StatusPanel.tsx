import { useAppState } from '../store/react';
import { degrees, describeGaze, describeTurn, milliseconds, perSecond, roundTo } from './format';
import { ParticipantSharing } from './ParticipantSharing';

/** What the server sees, in plain words and numbers. Each part subscribes to its own slice. */
export function StatusPanel() {
  return (
    <aside className="panel" aria-label="Tracking status">
      <FaceSection />
      <AdviceSection />
      <HeadPoseSection />
      <GazeSection />
      <BlinkSection />
      <PerformanceSection />
      <ParticipantSharing />
    </aside>
  );
}

type FaceState = 'offline' | 'waiting' | 'found' | 'missing';

const FACE_TEXT: Record<FaceState, string> = {
  offline: 'Not connected',
  waiting: 'Waiting for video',
  found: 'Face found',
  missing: 'No face found',
};

function useFaceState(): FaceState {
  const offline = useAppState(
    (state) => state.connection.phase === 'lost' || state.connection.phase === 'failed',
  );
  const faceFound = useAppState((state) => state.live.sample?.face_found ?? null);
  if (offline) return 'offline';
  if (faceFound === null) return 'waiting';
  return faceFound ? 'found' : 'missing';
}

function FaceSection() {
  const state = useFaceState();
  const tracking = useAppState((state) => state.live.sample?.tracking ?? null);
  const text = FACE_TEXT[state];
  return (
    <section className="panel-section" aria-labelledby="face-title">
      <h2 id="face-title" className="panel-title">
        Face
      </h2>
      <p className={`face-state face-${state}`} data-testid="face-state" data-state={state}>
        <span className="face-dot" aria-hidden="true" />
        {/* Announced when it changes; the tracking detail changes too often to read out. */}
        <span aria-live="polite">{text}</span>
        {state === 'found' && tracking !== null && (
          <span className="face-detail">
            {tracking === 'detected' ? ' · just detected' : ' · tracking'}
          </span>
        )}
      </p>
    </section>
  );
}

function AdviceSection() {
  const status = useAppState((state) => state.live.status);
  const face = useFaceState();
  let items: readonly string[];
  let good = false;
  if (face === 'offline') items = ['Advice resumes when the connection is back.'];
  else if (face === 'waiting') items = ['Waiting for the first frame from the server.'];
  else if (face === 'missing')
    items = ['Sit facing the camera, with your whole face in view and light in front of you.'];
  else if (status !== null && status.advice.length > 0) items = status.advice;
  else {
    items = ['Lighting and distance look good.'];
    good = true;
  }
  return (
    <section className="panel-section" aria-labelledby="advice-title">
      <h2 id="advice-title" className="panel-title">
        Advice
      </h2>
      <ul className={`advice${good ? ' advice-good' : ''}`} aria-live="polite" data-testid="advice">
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </section>
  );
}

function HeadPoseSection() {
  const yaw = useAppState((state) => roundTo(state.live.sample?.head_pose?.yaw_deg, 1));
  const pitch = useAppState((state) => roundTo(state.live.sample?.head_pose?.pitch_deg, 1));
  const roll = useAppState((state) => roundTo(state.live.sample?.head_pose?.roll_deg, 1));
  return (
    <section className="panel-section" aria-labelledby="head-title">
      <h2 id="head-title" className="panel-title">
        Head pose
      </h2>
      <p className="reading-summary" data-testid="head-summary">
        {yaw === null || pitch === null ? 'No head pose yet' : describeTurn(yaw, pitch)}
      </p>
      <dl className="readings" data-testid="head-pose">
        <Reading label="Yaw" value={degrees(yaw)} />
        <Reading label="Pitch" value={degrees(pitch)} />
        <Reading label="Roll" value={degrees(roll)} />
      </dl>
    </section>
  );
}

/** Gaze angles shown on a disc this many degrees in radius. */
const GAZE_DISC_RANGE_DEG = 40;

function GazeSection() {
  const yaw = useAppState((state) => roundTo(state.live.sample?.gaze?.yaw_deg, 1));
  const pitch = useAppState((state) => roundTo(state.live.sample?.gaze?.pitch_deg, 1));
  const mirrored = useAppState((state) => state.view.mirrored);
  const known = yaw !== null && pitch !== null;
  const clamp = (value: number): number => Math.max(-1, Math.min(1, value / GAZE_DISC_RANGE_DEG));
  // Positive yaw is towards the image's right; a mirrored view shows that on the left.
  const dotX = known ? 50 + 42 * clamp(mirrored ? -yaw : yaw) : 50;
  const dotY = known ? 50 - 42 * clamp(pitch) : 50;
  return (
    <section className="panel-section" aria-labelledby="gaze-title">
      <h2 id="gaze-title" className="panel-title">
        Gaze
      </h2>
      <div className="gaze">
        <svg className="gaze-disc" viewBox="0 0 100 100" aria-hidden="true">
          <circle cx="50" cy="50" r="46" className="gaze-ring" />
          <line x1="50" y1="6" x2="50" y2="94" className="gaze-cross" />
          <line x1="6" y1="50" x2="94" y2="50" className="gaze-cross" />
          {known && <circle cx={dotX} cy={dotY} r="7" className="gaze-dot" />}
        </svg>
        <div>
          <p className="reading-summary" data-testid="gaze-summary">
            {known ? describeGaze(yaw, pitch) : 'Eyes not visible'}
          </p>
          <dl className="readings" data-testid="gaze">
            <Reading label="Yaw" value={degrees(yaw)} />
            <Reading label="Pitch" value={degrees(pitch)} />
          </dl>
        </div>
      </div>
    </section>
  );
}

function BlinkSection() {
  const blinking = useAppState((state) => state.live.sample?.blinking ?? false);
  const count = useAppState((state) => state.live.blinkCount);
  return (
    <section className="panel-section panel-row" aria-labelledby="blink-title">
      <h2 id="blink-title" className="panel-title">
        Blinks
      </h2>
      <p className="blink" data-testid="blink" data-blinking={blinking}>
        <span className={`blink-eye${blinking ? ' blink-closed' : ''}`} aria-hidden="true" />
        <span>{blinking ? 'Blinking' : 'Eyes open'}</span>
        <span className="blink-count">{count} counted</span>
      </p>
    </section>
  );
}

function PerformanceSection() {
  const status = useAppState((state) => state.live.status);
  const roundTripMs = useAppState((state) => roundTo(state.live.roundTripMs, 0.1));
  const frameWidth = useAppState((state) => state.live.sample?.frame_width_px ?? null);
  const frameHeight = useAppState((state) => state.live.sample?.frame_height_px ?? null);
  return (
    <section className="panel-section" aria-labelledby="performance-title">
      <h2 id="performance-title" className="panel-title">
        Connection
      </h2>
      <dl className="readings readings-grid" data-testid="performance">
        <Reading label="Frames in" value={perSecond(status?.input_fps)} />
        <Reading label="Processed" value={perSecond(status?.processed_fps)} />
        <Reading
          label="Dropped"
          value={status === null ? '\u2013' : status.frames_dropped.toString()}
        />
        <Reading
          label="Round trip"
          value={milliseconds(roundTripMs)}
          hint="Network round trip to the server"
        />
        <Reading
          label="Server delay"
          value={milliseconds(status?.server_latency_ms_p95)}
          hint="Frame arrival to result on the server, 95th percentile"
        />
        <Reading
          label="Frame size"
          value={
            frameWidth === null || frameHeight === null
              ? '\u2013'
              : `${frameWidth}\u00d7${frameHeight}`
          }
        />
      </dl>
    </section>
  );
}

function Reading({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="reading">
      <dt title={hint}>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
