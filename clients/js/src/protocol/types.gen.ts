// Generated from srv/gazertc/protocol/schema.json by scripts/generate-protocol-types.mjs.
// Do not edit: run `make protocol-types` (tests/protocol/types.test.ts checks drift).

/** The schema's $id. */
export const SCHEMA_ID = "urn:gazertc:protocol:v1";

/** Any data-channel message, in either direction. Client to server: hello, config, ping, pong, event, recording, calibration_start, validation_start, target_shown, target_done, calibration_end, calibration_load, calibration_accept, dwell_confirmed, drift_reset. Server to client: session (WebSocket only), config, sample, status, error, ping, pong, event_ack, recording_status, fixation, saccade, calibration_result, validation_result, drift_status. */
export type Message = HelloMessage | SessionMessage | ConfigMessage | SampleMessage | StatusMessage | ErrorMessage | PingMessage | PongMessage | EventMessage | EventAckMessage | RecordingMessage | RecordingStatusMessage | FixationMessage | SaccadeMessage | CalibrationStartMessage | ValidationStartMessage | TargetShownMessage | TargetDoneMessage | CalibrationEndMessage | CalibrationLoadMessage | CalibrationResultMessage | ValidationResultMessage | CalibrationAcceptMessage | DwellConfirmedMessage | DriftResetMessage | DriftStatusMessage;

/** Protocol version. A peer that receives a version it does not speak answers with an error of code unsupported_version. */
export type Version = 1;

/** Nanoseconds since the Unix epoch, from 2000-01-01 to 2100-01-01: every clock a session meets lies in that range, and its bounds keep the value far inside a signed 64-bit integer (SQLite stores them as such). JavaScript parses these as doubles, exact to about 0.25 microseconds, which is ample. */
export type UnixNs = number;

/** A session's identifier: names the session in /api/sessions/{session_id}/..., never grants anything. Only the participant's own connection (offer_answer, config, its recording_status and stored events) and the host see it. */
export type SessionId = string;

/** The participant's credential for its own session (Authorization: Bearer <secret> on /api/sessions/{session_id}/...): 256 random bits as 43 URL-safe characters, sent only in that connection's offer_answer. Compared in constant time. */
export type SessionSecret = string;

/** What the server sends back: json = samples on the data channel only (no video encoding cost), video = annotated frames on the video track only, both = both. */
export type OutputMode = "json" | "video" | "both";

/** The client's screen, for mapping gaze onto it (used by calibration). */
export interface Screen {
  width_px: number;
  height_px: number;
  device_pixel_ratio?: number;
  width_mm?: number;
  height_mm?: number;
}

/** How often the server sends a status message. */
export type StatusIntervalMs = number;

/** Settings a client chooses: in the options of POST /offer, in hello.config, and in a config message. Omitted fields keep their current value. */
export interface ConfigOptions {
  output?: OutputMode;
  screen?: Screen;
  status_interval_ms?: StatusIntervalMs;
  gaze_tracking?: GazeTrackingOption;
  participant_label?: ParticipantLabel | null;
  share_thumbnail?: ShareThumbnailOption;
  landmarks?: LandmarksOption;
}

/** true: every sample carries the gaze_tracking object (GazeTracking-compatible fields). Off by default. */
export type GazeTrackingOption = boolean;

/** The participant's name or code, shown to the host in the monitor instead of the session's anonymous id. Set by the participant (config; null clears it) or by the host (POST /api/monitor/sessions/{anon_id}/label); the latest wins. 1..60 characters once the server trims surrounding white space; control characters are refused. Stored in the metadata of a recording started while it is set. */
export type ParticipantLabel = string;

/** true: the host's monitor may show a small live thumbnail of the participant's camera (GET /api/monitor/sessions/{anon_id}/thumbnail, at most 160 px wide, refreshed at most once per second). Off by default; false withdraws it at once. */
export type ShareThumbnailOption = boolean;

/** false: samples sent to this client carry landmarks_px null (about 1.3 KB less per sample) for a client that does not draw or read the 68 landmarks; everything else in the sample is unchanged, and recordings keep the landmarks. true (the default) sends them. */
export type LandmarksOption = boolean;

/** Server to client, the first message on a WebSocket (GET /ws), before config: the new session's id and secret (what the offer_answer carries for a WebRTC session) and its transport. docs/websocket.md describes the endpoint. */
export interface SessionMessage {
  v: Version;
  type: "session";
  session_id: SessionId;
  session_secret: SessionSecret;
  transport: "websocket" | "webrtc";
}

/** Fields of the GazeTracking library, in samples when the config option gaze_tracking is on. pupil_left/pupil_right: iris centres in frame px, GazeTracking's naming: pupil_left is the eye on the image's left (the subject's right eye); null when not located. horizontal_ratio: the iris between the eye corners, 0 = looking to the subject's right, 0.5 = centre, 1 = left; vertical_ratio: the iris between the lids, 0 = top, 1 = bottom (mean of the located eyes; null without one). is_right: horizontal_ratio <= 0.35; is_left: >= 0.65; is_center: located and neither (GazeTracking's thresholds). is_blinking: the blink detector's state (the sample's blinking). attention_score 0..1: 0 without a face or while blinking, else the share of open eyes times how near the ratios are to the centre (1 at 0.5, 0 at 0 or 1). frame_processed: a face was found and at least one pupil located. */
export interface GazeTracking {
  pupil_left: PointPx | null;
  pupil_right: PointPx | null;
  horizontal_ratio: number | null;
  vertical_ratio: number | null;
  is_left: boolean;
  is_right: boolean;
  is_center: boolean;
  is_blinking: boolean;
  attention_score: number;
  frame_processed: boolean;
}

/** Client to server, first message on the data channel: who the client is, what it can do and the settings it wants. The server answers with config. */
export interface HelloMessage {
  v: Version;
  type: "hello";
  client?: {
    name: string;
    version?: string;
  };
  capabilities?: {
    /** The client can show annotated video sent back on its video transceiver. */
    video_receive?: boolean;
    protocol_versions?: number[];
  };
  config?: ConfigOptions;
}

/** Client to server: change settings at run time (omitted fields are unchanged). Server to client: the complete effective settings, sent when the data channel opens and after every hello or config. */
export interface ConfigMessage {
  v: Version;
  type: "config";
  session_id?: SessionId;
  output?: OutputMode;
  screen?: Screen;
  status_interval_ms?: StatusIntervalMs;
  /** Server to client: whether annotated video can be sent (the client's offer had a video transceiver that receives; always false over a WebSocket). */
  video_available?: boolean;
  /** Client to server: the option (see gaze_tracking_option). Server to client: present (true) only while samples carry gaze_tracking. */
  gaze_tracking?: GazeTrackingOption;
  /** Client to server: the label (see participant_label; null clears it). Server to client: present while a label is set, by the participant or the host. */
  participant_label?: ParticipantLabel | null;
  /** Client to server: the option (see share_thumbnail_option). Server to client: present (true) only while the host may see the thumbnail. */
  share_thumbnail?: ShareThumbnailOption;
  /** Client to server: the option (see landmarks_option). Server to client: present (false) only while samples leave the landmarks out. */
  landmarks?: LandmarksOption;
}

/** Either direction. The receiver answers at once with a pong echoing id and sent_unix_ns. */
export interface PingMessage {
  v: Version;
  type: "ping";
  id: number;
  sent_unix_ns: UnixNs;
}

/** Answer to a ping. With t0 = ping_sent_unix_ns, t1 = received_unix_ns, t2 = sent_unix_ns (the answering peer's clock) and t3 = arrival of the pong: round trip = (t3 - t0) - (t2 - t1); the answering peer's clock minus the pinging peer's clock = ((t1 - t0) + (t2 - t3)) / 2. */
export interface PongMessage {
  v: Version;
  type: "pong";
  id: number;
  ping_sent_unix_ns: UnixNs;
  received_unix_ns: UnixNs;
  sent_unix_ns: UnixNs;
}

/** An image point [x_px, y_px] in full-resolution frame pixels, origin top-left, y down. */
export type PointPx = [number, number];

/** [x, y, z] in the camera frame (OpenCV: x right, y down, z into the scene). */
export type Vector3 = [number, number, number];

/** The subject's own eye. */
export type EyeSide = "right" | "left";

/** detected: the face detector ran and found the face; tracked: landmarks fitted from the previous frame; lost: no face. */
export type TrackingState = "detected" | "tracked" | "lost";

export type QualityFlag = "too_dark" | "too_bright" | "low_contrast" | "too_far" | "too_close" | "face_at_edge";

export interface FaceBox {
  left_px: number;
  top_px: number;
  right_px: number;
  bottom_px: number;
}

/** One eye. centre_px is the sub-pixel iris centre, null when the eye is closed or the estimate was rejected. openness is the eye aspect ratio (about 0.25-0.35 open, below 0.15 closed). */
export interface EyeObservation {
  side: EyeSide;
  centre_px: PointPx | null;
  iris_radius_px: number | null;
  confidence: number;
  openness: number;
  is_open: boolean;
  inner_corner_px: PointPx;
  outer_corner_px: PointPx;
  gaze_yaw_deg: number | null;
  gaze_pitch_deg: number | null;
}

/** Head pose from PnP. Angles in degrees: yaw positive towards the image's right, pitch positive up, roll positive clockwise in the image. translation_mm: the face model's origin (nose bridge) in the camera frame. rotation_vector: Rodrigues vector from head to camera coordinates. */
export interface HeadPose {
  yaw_deg: number;
  pitch_deg: number;
  roll_deg: number;
  translation_mm: Vector3;
  rotation_vector: Vector3;
  reprojection_error_px: number;
}

/** Gaze ray in the camera frame: origin_mm between the eyeball centres, direction a unit vector; yaw/pitch in degrees with the head-pose sign convention, (0, 0) looking straight back at the camera plane. */
export interface GazeDirection {
  yaw_deg: number;
  pitch_deg: number;
  origin_mm: Vector3;
  direction: Vector3;
  eyes_used: EyeSide[];
}

export interface BlinkEvent {
  phase: "start" | "end";
  timestamp_unix_ns: UnixNs;
  duration_ms: number | null;
}

/** face_brightness: mean grey level 0-255 of the face; face_contrast: its standard deviation; null without a face. */
export interface FrameQuality {
  face_brightness: number | null;
  face_contrast: number | null;
  face_width_px: number | null;
  flags: QualityFlag[];
}

/** Server to client, one per processed frame: the pipeline's GazeSample fields plus frame bookkeeping. timestamp_unix_ns is the capture time on the server's clock, estimated from the sender's RTP media clock anchored at the earliest-arriving frame; received_unix_ns is when the decoded frame reached the session; processed_unix_ns when this sample was ready. frame_id counts frames received in this session (gaps are frames dropped because newer ones arrived); frame_index counts frames the pipeline processed. Frame sizes stop at 65535 px: no codec the server decodes has wider frames (VP8 stores 14 bits). pts_90khz is the frame's RTP timestamp relative to the first frame received (90 kHz), which lets a sender that knows its own RTP timestamps match samples to frames exactly. */
export interface SampleMessage {
  v: Version;
  type: "sample";
  frame_id: number;
  pts_90khz: number;
  received_unix_ns: UnixNs;
  processed_unix_ns: UnixNs;
  /** Pipeline time in the worker for this frame. */
  processing_ms: number;
  /** Pipeline time per stage (detect, landmarks, iris, pose, gaze, total). */
  stage_ms?: {
    [key: string]: number;
  };
  timestamp_unix_ns: UnixNs;
  frame_index: number;
  frame_width_px: number;
  frame_height_px: number;
  face_found: boolean;
  tracking: TrackingState;
  face_box: FaceBox | null;
  /** The 68 smoothed dlib/iBUG landmarks (jaw 0-16, brows 17-26, nose 27-35, right eye 36-41, left eye 42-47, mouth 48-67), null without a face, and null in every sample while the client's config option landmarks is false (face_found, face_box and the eyes still tell whether and where a face was found). */
  landmarks_px: PointPx[] | null;
  right_eye: EyeObservation | null;
  left_eye: EyeObservation | null;
  head_pose: HeadPose | null;
  gaze: GazeDirection | null;
  blinking: boolean;
  blink_events: BlinkEvent[];
  quality: FrameQuality;
  /** Present once the session is calibrated: where on the screen the user looks (CSS px), null when this frame gives no point (no face, eyes closed, blinking). */
  screen_point?: ScreenPoint | null;
  /** Present while the config option gaze_tracking is on. */
  gaze_tracking?: GazeTracking;
}

/** A point on the client's screen in CSS pixels (origin top-left of the screen the client described, y down; may lie off the screen). x_px/y_px: the calibrated mapping of this frame; smoothed_x_px/smoothed_y_px: the same after a One Euro filter (steady on fixations, little lag on saccades), for display. */
export interface ScreenPoint {
  x_px: number;
  y_px: number;
  smoothed_x_px: number;
  smoothed_y_px: number;
}

/** A target the client will show: id (unique in the procedure) and its centre in CSS px (within a million px of the origin: beyond any screen, near enough that every distance stays finite). */
export interface CalibrationTarget {
  id: number;
  x_px: number;
  y_px: number;
}

export type CalibrationTargets = CalibrationTarget[];

/** Client to server: a calibration begins with these targets (at least 4 distinct; 9-13 spread over the screen are usual). Needs the screen (hello/config). Then, per target: target_shown, the user looks at it for about 1.5 s, target_done; finally calibration_end, answered with calibration_result (or an error calibration_failed). A new calibration_start or validation_start abandons a running procedure. The targets may also be declared after the user looked at them: the server keeps the features of the last 120 s of tracked frames (in memory only; cleared when the screen changes or the session ends), so target_shown and target_done may carry past times (shown_unix_ns, done_unix_ns) and their frames come from that history, with the same selection as live ones. */
export interface CalibrationStartMessage {
  v: Version;
  type: "calibration_start";
  targets: CalibrationTargets;
}

/** Client to server, once calibrated: a validation begins with these targets (best not the calibration's). The same target_shown / target_done / calibration_end sequence follows, answered with validation_result. */
export interface ValidationStartMessage {
  v: Version;
  type: "validation_start";
  targets: CalibrationTargets;
}

/** Client to server: the target appeared. shown_unix_ns: when it was drawn, on the server's clock (correct the client's clock with the ping/pong offset); without it the server uses the message's arrival. Samples captured from then until target_done belong to the target; the first 300 ms (saccade latency and landing), blinks and saccades are dropped. shown_unix_ns may lie up to 120 s in the past (the server's history of recent frames): the target then takes the frames already seen. More than 1 s ahead of the server's clock is an error invalid_message; further back than the history, or frames the history no longer holds, an error calibration_failed. A target_shown while another target is shown ends that one at this shown_unix_ns. */
export interface TargetShownMessage {
  v: Version;
  type: "target_shown";
  target_id: number;
  shown_unix_ns?: UnixNs;
}

/** Client to server: the target disappeared; samples stop counting for it. done_unix_ns: when, on the server's clock, up to 120 s in the past like shown_unix_ns; without it the server uses the message's arrival (a calibration_end while a target is shown ends it at its arrival). A window that ends before its shown_unix_ns, lasts over 30 s or ends more than 1 s ahead of the server's clock is an error invalid_message, and the target's window is dropped (show it again). */
export interface TargetDoneMessage {
  v: Version;
  type: "target_done";
  target_id: number;
  done_unix_ns?: UnixNs;
}

/** Client to server: the running calibration or validation is complete; the server fits (answering calibration_result) or evaluates (answering validation_result). */
export interface CalibrationEndMessage {
  v: Version;
  type: "calibration_end";
}

/** A saved per-user calibration (about 1-3 kB): opaque to clients, who store it (e.g. per user in localStorage) and send it back in calibration_load. It names the screen it was made for; the server refuses it for another screen. Its arrays hold at most 64 numbers (today 13 at most), each within +-1e9, scales at least 1e-12: a stored model cannot grow without bound, and no prediction it makes can overflow. */
export interface CalibrationModel {
  format: "gazertc.calibration/1";
  screen: Screen;
  created_unix_ns?: UnixNs;
  feature_mean?: number[];
  feature_scale?: number[];
  coefficients?: number[][];
  intercept?: number[];
  /** Each eye calibrated on its own (the same arrays, for that eye's own gaze ray) and each eye's share of the combined point when both are seen, from the eyes' residuals during calibration (inverse variance, each share within 0.1-0.9, summing to 1). Absent when the model has none (then the combined model alone is used). */
  eyes?: {
    weights: {
      right: number;
      left: number;
    };
    right: CalibrationEyeModel;
    left: CalibrationEyeModel;
  };
  [key: string]: unknown;
}

/** One eye's model inside a calibration_model's eyes: the same arrays and bounds as the model's own. */
export interface CalibrationEyeModel {
  feature_mean: number[];
  feature_scale: number[];
  coefficients: number[][];
  intercept: number[];
}

/** Client to server: use a calibration saved earlier (the model of a calibration_result). Answered with calibration_result (targets empty, totals null), or error calibration_failed when it was made for another screen or is malformed. */
export interface CalibrationLoadMessage {
  v: Version;
  type: "calibration_load";
  model: CalibrationModel;
}

/** Client to server: apply the last fitted calibration although its quality is poor (the user chose to use it). Answered with calibration_result (source accept, applied true), or error calibration_out_of_order when no unapplied fit is waiting. */
export interface CalibrationAcceptMessage {
  v: Version;
  type: "calibration_accept";
}

/** Client to server: the user selected the target centred at x_px/y_px (screen CSS px, like calibration targets) by dwelling on it from start_unix_ns to end_unix_ns (server clock, up to 120 s in the past; at most 30 s long). The server treats it as a known gaze target for drift correction (frames of that window from its history) and answers drift_status. Without a calibration in use: error calibration_out_of_order. */
export interface DwellConfirmedMessage {
  v: Version;
  type: "dwell_confirmed";
  x_px: number;
  y_px: number;
  start_unix_ns: UnixNs;
  end_unix_ns: UnixNs;
}

/** Client to server: drop the drift correction (the calibration's own mapping applies again). Answered with drift_status. */
export interface DriftResetMessage {
  v: Version;
  type: "drift_reset";
}

/** Server to client: the drift correction now added to every screen_point, after a dwell_confirmed, a drift_reset, or a new calibration (cleared). offset_x_px/offset_y_px: screen CSS px (bounded); offset_deg: its size in degrees (null without a viewing distance); confirmations_used: how many recent confirmations it rests on; last: what the last event did (accepted, rejected as an outlier or with too few frames, reset, cleared); reason: in words. */
export interface DriftStatusMessage {
  v: Version;
  type: "drift_status";
  offset_x_px: number;
  offset_y_px: number;
  offset_deg: number | null;
  confirmations_used: number;
  last: "accepted" | "rejected" | "reset" | "cleared";
  reason: string;
}

/** How well the fit reproduces one target: offset of the mean predicted point from the target (px, degrees of visual angle), RMS distance of the single samples' points from it (px), samples used and dropped. Null values: no sample of this target survived. */
export interface CalibrationTargetResidual {
  target_id: number;
  x_px: number;
  y_px: number;
  offset_px: number | null;
  offset_deg: number | null;
  rms_px: number | null;
  samples_used: number;
  samples_dropped: number;
}

/** The verdict on a calibration or validation, for a person: good (use it), fair (usable, larger error), poor (it did not work: a poor calibration is not applied unless the client sends calibration_accept). The thresholds are in docs/protocol.md. */
export type CalibrationQuality = "good" | "fair" | "poor";

/** Server to client: the result of a calibration. applied says whether the session now uses it (samples carry screen_point): a fit whose quality is poor is not applied until the client sends calibration_accept (answered with the same report, source accept, applied true). quality/quality_reason: the verdict in words; loto_error_px/deg: the mean leave-one-target-out error (each target position predicted by a model fitted without it; repeats of a position, e.g. at other distances, are left out with it), the closest a calibration gets to measuring its own accuracy. mean_offset_px/deg/cm: mean over the targets of the fit's offsets (how well the model fits its own data, not an accuracy: run a validation for that). Degrees use viewing_distance_mm, estimated from the face (63 mm between the pupils); cm use the screen's physical size, estimated at 96 CSS px per inch when screen_size_estimated. model: keep it to skip calibration next time (calibration_load); keep only applied ones. */
export interface CalibrationResultMessage {
  v: Version;
  type: "calibration_result";
  /** Where the model came from: fit (this session's calibration procedure), accept (a poor fit applied on calibration_accept) or load (calibration_load; targets empty, totals null, quality null). The server always sends it. */
  source?: "fit" | "accept" | "load";
  targets: CalibrationTargetResidual[];
  mean_offset_px: number | null;
  mean_offset_deg: number | null;
  mean_offset_cm: number | null;
  samples_used: number;
  samples_dropped: number;
  viewing_distance_mm: number | null;
  screen_size_estimated: boolean;
  model: CalibrationModel;
  /** True when the session now maps samples to the screen with this model; false for a poor fit waiting for calibration_accept (the previous model, if any, stays in use). */
  applied: boolean;
  /** The verdict (see calibration_quality); null for a loaded model, which has no report: validate it. */
  quality: CalibrationQuality | null;
  /** Why, in words for the person calibrating, with advice when poor. */
  quality_reason: string;
  loto_error_px: number | null;
  loto_error_deg: number | null;
}

/** One validation target: accuracy = mean distance of the single samples' screen points from the target; precision = RMS of the distances between consecutive samples' points (both raw, unsmoothed), in px and degrees. Null: too few samples. */
export interface ValidationTargetResult {
  target_id: number;
  x_px: number;
  y_px: number;
  accuracy_px: number | null;
  accuracy_deg: number | null;
  precision_px: number | null;
  precision_deg: number | null;
  samples_used: number;
}

/** Server to client: how accurate and precise the calibration is for this user now. Overall values are means over the targets with samples; cm on screen uses the physical size (estimated when screen_size_estimated). */
export interface ValidationResultMessage {
  v: Version;
  type: "validation_result";
  targets: ValidationTargetResult[];
  accuracy_px: number | null;
  accuracy_deg: number | null;
  accuracy_cm: number | null;
  precision_px: number | null;
  precision_deg: number | null;
  viewing_distance_mm: number | null;
  screen_size_estimated: boolean;
  quality: CalibrationQuality;
  /** Why, in words (the accuracy measured, or that no target had usable samples). */
  quality_reason: string;
}

/** Server to client, every status_interval_ms and whenever face_found or video changes. Counters are cumulative for the session; rates cover the last interval. */
export interface StatusMessage {
  v: Version;
  type: "status";
  /** waiting: no frame yet; live: frames arriving; ended: the client's video track ended (the server then closes the session). */
  video: "waiting" | "live" | "ended";
  face_found: boolean;
  tracking: TrackingState;
  quality_flags: QualityFlag[];
  /** Human-readable advice for the quality flags, in English. */
  advice: string[];
  input_fps: number;
  processed_fps: number;
  frames_received: number;
  frames_processed: number;
  /** Frames skipped because a newer frame arrived while the pipeline was busy (latest-frame semantics: frames are dropped, never queued). */
  frames_dropped: number;
  processing_ms_p50: number | null;
  /** 95th percentile of received_unix_ns to processed_unix_ns over the last interval. */
  server_latency_ms_p95: number | null;
  /** Present once the session's pipeline worker has crashed or hung: how many times that happened. The session carries on by itself on a fresh tracker in a replacement worker (a status is sent at once); samples pause for about a second plus the worker's start time, smoothing and blink state start over (frame_index restarts at 0), calibration is kept. Absent: never. */
  pipeline_restarts?: number;
}

/** Machine-readable error codes. Data channel: invalid_json, invalid_message, unsupported_version, unknown_type, unexpected_type, message_too_large, binary_not_supported, video_unavailable, frame_too_large, pipeline_failed, idle_timeout. HTTP: invalid_json, invalid_request, invalid_sdp, body_too_large, too_many_sessions, not_found, method_not_allowed, internal_error. Recordings (both): recording_unavailable (the server keeps no recordings: no data directory), recording_in_progress, not_recording; internal_error when the recording store fails a command or does not answer within 5 s. Recordings (data channel, never fatal): recording_write_failed (rows of the running recording could not be stored; the message says which and why; the recording goes on and counts them in write_errors). Calibration (data channel): calibration_failed (no screen known, too few usable samples, a saved model that does not fit this screen), calibration_out_of_order (a target message without a running procedure, an unknown target id, validation without a calibration). Access (HTTP): unauthorized (401: no credential), forbidden (403: a wrong credential, another session's secret, a participant's secret on a host-only route, an unknown session id with anything but the host token, or a recording the server does not allow: a host start under --no-host-recording). WebSocket frames: invalid_frame (a binary message that is not 8 header bytes and a decodable JPEG; never fatal), frame_too_large (more bytes or pixels than the server accepts; never fatal). Edge (HTTP, before any route): misdirected_request (421: a Host name this server does not answer to, e.g. DNS rebinding), forbidden also for a page of another origin than the server's own and its --allow-origin list, rate_limited (429 with Retry-After: too many offers from one address). Monitor (data channel, fatal): session_ended_by_host (the host ended the session from the monitor; a client does not reconnect on its own). Cluster (HTTP): node_draining (503 with Retry-After on POST /offer and GET /ws: this node is being drained and takes no new sessions; a load balancer retries on another node). */
export type ErrorCode = "invalid_json" | "invalid_message" | "unsupported_version" | "unknown_type" | "unexpected_type" | "message_too_large" | "binary_not_supported" | "video_unavailable" | "frame_too_large" | "pipeline_failed" | "idle_timeout" | "invalid_request" | "invalid_sdp" | "body_too_large" | "too_many_sessions" | "not_found" | "method_not_allowed" | "internal_error" | "recording_unavailable" | "recording_in_progress" | "not_recording" | "calibration_failed" | "calibration_out_of_order" | "unauthorized" | "forbidden" | "misdirected_request" | "rate_limited" | "recording_write_failed" | "invalid_frame" | "session_ended_by_host" | "node_draining";

/** Server to client on the data channel, and the body of every HTTP error response. fatal: true when the server is closing the session because of it; otherwise the session stays up. */
export interface ErrorMessage {
  v: Version;
  type: "error";
  code: ErrorCode;
  message: string;
  fatal: boolean;
  /** The type of the message that caused the error, when known. */
  ref_type?: string;
}

/** A researcher's label for a moment, e.g. stimulus_onset. */
export type EventName = string;

/** Client to server: mark a moment. timestamp_unix_ns is the client's time of the event (on its own clock: correct it with the ping/pong offset first); without it the server uses the time of arrival. The server answers with event_ack. Stored when a recording is running. */
export interface EventMessage {
  v: Version;
  type: "event";
  name: EventName;
  timestamp_unix_ns?: UnixNs;
}

/** Body of POST /api/sessions/{session_id}/events: the same fields as an event message. Answered with stored_event. */
export interface EventRequest {
  name: EventName;
  timestamp_unix_ns?: UnixNs;
}

/** An event as the server keeps it. source: client = timestamp_unix_ns came from the client, arrival = the server stamped it when it arrived (received_unix_ns). recording_id is null when no recording was running (the event is acknowledged but not stored). */
export interface StoredEvent {
  name: EventName;
  timestamp_unix_ns: UnixNs;
  received_unix_ns: UnixNs;
  source: "client" | "arrival";
  session_id: SessionId;
  recording_id: RecordingId | null;
}

/** Server to client: the answer to an event message, with the event as stored. */
export interface EventAckMessage {
  v: Version;
  type: "event_ack";
  event: StoredEvent;
}

export type RecordingId = string;

/** start: begin recording this session (error recording_in_progress if one runs); stop: stop and save it; cancel: stop and discard its data (error not_recording when none runs). */
export type RecordingAction = "start" | "stop" | "cancel";

/** Start only, default false: also store the participant's camera video of this recording (VP8/WebM, at most 640 px wide, about 15 fps, each frame at its capture time in ms since the recording started), served at GET /api/recordings/{recording_id}/video. Off unless asked for; the participant's recording_status says video: true while it is stored. */
export type RecordingVideoRequest = boolean;

/** Who started a recording: participant = the session's own connection (a recording message, or the session secret over HTTP); host = the holder of the host token (the monitor, or the host token over HTTP). */
export type RecordingStartedBy = "participant" | "host";

/** Who ended a recording (saved or cancelled): participant, host (as for recording_started_by), or server (the session ended, the server shut down, or a server that died left it incomplete). */
export type RecordingStoppedBy = "participant" | "host" | "server";

/** Client to server: start, stop-and-save or cancel this session's recording, whoever started it (a participant may stop or discard a recording the host started). Answered with recording_status, or an error (recording_unavailable, recording_in_progress, not_recording) with ref_type recording. */
export interface RecordingMessage {
  v: Version;
  type: "recording";
  action: RecordingAction;
  /** Optional label of a new recording (start only). */
  name?: string;
  video?: RecordingVideoRequest;
}

/** Body of POST /api/sessions/{session_id}/recording and POST /api/monitor/sessions/{anon_id}/recording: the same fields as a recording message. Answered with recording_info (monitor_recording_info). */
export interface RecordingRequest {
  action: RecordingAction;
  name?: string;
  video?: RecordingVideoRequest;
}

/** A recording's summary. state: recording (running), saved, cancelled (data discarded), incomplete (the server stopped without saving it; everything committed before, up to about the last second, is kept). Counts: samples, events, blinks (started), fixations and saccades stored. metadata: software_version, protocol_version, screen when the client gave it, fixation detector settings. started_by: who started it; stopped_by: who ended it, null while it runs (and for a recording saved by a gazertc that did not keep it). */
export interface RecordingInfo {
  recording_id: RecordingId;
  session_id: SessionId;
  name: string | null;
  /** The session's participant_label when the recording started (kept in its metadata), null when none was set. Absent from recordings read by an older gazertc. */
  participant_label?: ParticipantLabel | null;
  state: "recording" | "saved" | "cancelled" | "incomplete";
  started_unix_ns: UnixNs;
  stopped_unix_ns: UnixNs | null;
  frame_width_px: number | null;
  frame_height_px: number | null;
  sample_count: number;
  event_count: number;
  blink_count: number;
  fixation_count: number;
  saccade_count: number;
  metadata: {
    [key: string]: unknown;
  };
  started_by: RecordingStartedBy;
  stopped_by: RecordingStoppedBy | null;
  /** The participant's camera video is stored with this recording (it was started with video: true; false again when its encoder failed, the recording went on without it, or when it was cancelled). The participant's page says so while it records. */
  video: boolean;
  /** Present once rows of this recording could not be stored (a value the database refuses, a failed commit): how many were lost. Each failure was also reported to the session's client as a recording_write_failed error; the recording went on. Absent: none. */
  write_errors?: number;
}

/** Server to client: every change to this session's recording, whoever made it (the participant's recording message, the session secret or the host token over HTTP, the monitor, the server ending it as the session closes); also the answer to a recording message. A recording starts only while the data channel is open, so the participant always hears of it. */
export interface RecordingStatusMessage {
  v: Version;
  type: "recording_status";
  recording: RecordingInfo;
}

/** Response to GET /api/recordings, oldest first. */
export interface RecordingList {
  recordings: RecordingInfo[];
}

/** Seconds since the recording started (started_unix_ns), to the millisecond. */
export type RecordingTimeS = number;

/** A stretch of a recording: start_s to end_s (recording_time_s). */
export interface RecordingInterval {
  start_s: RecordingTimeS;
  end_s: RecordingTimeS;
}

/** The participant's screen (CSS px) a recording's screen points refer to: the one the client described, else the one its calibration was made for. */
export interface RecordingScreenSize {
  width_px: number;
  height_px: number;
}

/** Response to GET /api/recordings/{recording_id}/summary (host token). duration_s: start to stop, or to the last sample when later (or when it never stopped). data_quality over the samples from the start on: frame_rate_hz = 1 / median interval between samples (null with fewer than 2); expected_frames = frame_rate_hz x duration_s (null without a rate); gaps = stretches over 200 ms without a sample (also from the start to the first sample and from the last to the stop), the longest 100 in time order, gap_count and gap_total_s over all; shares of samples with a face, with gaze angles, with a screen point (null without samples). calibrations: calibration_result and validation_result messages kept with the recording (from before it started and sent while it ran; the latest 200), oldest first, as sent, with the time sent (t_s null: before the start). events: the first 10000 in time order (t_s null: dated before the start; recording.event_count counts all). screen: null when unknown. */
export interface RecordingSummary {
  recording: RecordingInfo;
  duration_s: RecordingTimeS;
  data_quality: {
    samples: number;
    expected_frames: number | null;
    frame_rate_hz: number | null;
    gaps: RecordingInterval[];
    gap_count: number;
    gap_total_s: number;
    face_found_share: number | null;
    gaze_share: number | null;
    screen_gaze_share: number | null;
  };
  calibrations: Array<{
    type: "calibration_result" | "validation_result";
    sent_unix_ns: UnixNs;
    t_s: RecordingTimeS | null;
    /** The calibration_result or validation_result as sent (a recording made by an older gazertc may lack newer fields such as quality). */
    message: {
      [key: string]: unknown;
    };
  }>;
  events: Array<{
    t_s: RecordingTimeS | null;
    name: EventName;
    source: "client" | "arrival";
    timestamp_unix_ns: UnixNs;
  }>;
  screen: RecordingScreenSize | null;
}

/** Response to GET /api/recordings/{recording_id}/replay (host token): the recording as columns to play back. t_s, x_px, y_px, yaw_deg, pitch_deg, face_found, blinking have one value per sample (the same length, at most 200000: a longer recording is thinned to every sample_step-th sample; samples_total counts all), times in recording_time_s. x_px/y_px: the screen point (CSS px of screen, y down; the frame's calibrated mapping, unsmoothed), null where the sample has none, and null as a whole when no sample has one (uncalibrated: use the angles). yaw_deg/pitch_deg: gaze direction in degrees (signs as in gaze_direction), null without one. events: those from the start on (at most 10000). fixations (mean gaze angles as detected; mean screen point of their samples, null without one), saccades and blinks: at most 100000 each, those begun before the start cut to begin at 0. video: a video of the recording is stored. */
export interface RecordingReplay {
  t_s: RecordingTimeS[];
  x_px: Array<number | null> | null;
  y_px: Array<number | null> | null;
  yaw_deg: Array<number | null>;
  pitch_deg: Array<number | null>;
  face_found: boolean[];
  blinking: boolean[];
  samples_total: number;
  sample_step: number;
  duration_s: RecordingTimeS;
  events: Array<{
    t_s: RecordingTimeS;
    name: EventName;
  }>;
  fixations: Array<{
    start_s: RecordingTimeS;
    end_s: RecordingTimeS;
    x_px: number | null;
    y_px: number | null;
    yaw_deg: number;
    pitch_deg: number;
  }>;
  saccades: RecordingInterval[];
  blinks: RecordingInterval[];
  screen: RecordingScreenSize | null;
  video: boolean;
}

/** velocity: velocity threshold (I-VT); dispersion: dispersion threshold (I-DT), used when samples come more than 50 ms apart. */
export type DetectionMethod = "velocity" | "dispersion";

/** Server to client (with samples): a fixation starting (sent once it has lasted 100 ms, so later than start_unix_ns) or ending. Angles are degrees of gaze direction (the sample's gaze yaw/pitch), not screen positions: yaw_deg/pitch_deg the mean so far, dispersion_deg the yaw range plus the pitch range. end_unix_ns and duration_ms are null on start. */
export interface FixationMessage {
  v: Version;
  type: "fixation";
  phase: "start" | "end";
  start_unix_ns: UnixNs;
  end_unix_ns: UnixNs | null;
  duration_ms: number | null;
  yaw_deg: number;
  pitch_deg: number;
  dispersion_deg: number;
  method: DetectionMethod;
}

/** Server to client (with samples): a saccade between two fixations, sent when the next fixation starts. start_unix_ns: last sample of the previous fixation; end_unix_ns: first of the next. amplitude_deg: angle between those gaze directions. peak_velocity_deg_s is null with the dispersion method. */
export interface SaccadeMessage {
  v: Version;
  type: "saccade";
  start_unix_ns: UnixNs;
  end_unix_ns: UnixNs;
  duration_ms: number;
  amplitude_deg: number;
  peak_velocity_deg_s: number | null;
  start_yaw_deg: number;
  start_pitch_deg: number;
  end_yaw_deg: number;
  end_pitch_deg: number;
  method: DetectionMethod;
}

/** Body of POST /offer: the client's SDP offer (non-trickle: all ICE candidates included) with a video transceiver that sends and a data channel, and optional initial settings. */
export interface OfferRequest {
  sdp: string;
  type: "offer";
  options?: ConfigOptions;
}

/** Response to POST /offer: the server's SDP answer, sent after ICE gathering completed, the id of the new session and its secret (the participant's credential for /api/sessions/{session_id}/...; no other answer carries it), and the node that answered (media flows to that node, behind a load balancer too). */
export interface OfferAnswer {
  sdp: string;
  type: "answer";
  session_id: SessionId;
  session_secret: SessionSecret;
  node: NodeName;
}

/** Response to GET /api/ice-servers: the STUN and TURN servers a client gives its RTCPeerConnection (RTCIceServer dictionaries), fetched before each offer. TURN credentials are short-lived (coturn's TURN REST API: username '<expiry unix s>:gazertc', credential base64(HMAC-SHA1(secret, username))). Empty: host candidates only, enough on one machine and on a LAN. */
export interface IceServers {
  ice_servers: Array<{
    urls: string[];
    username?: string;
    credential?: string;
  }>;
}

/** A server's name in a cluster (gazertc serve --node-name; default <hostname>:<port>): letters, digits and . _ : -, at most 64. */
export type NodeName = string;

/** What the server's pipeline workers did, counted over every frame they tracked since the server started, all sessions together (counts only, nothing about the people in the frames; differences between two readings give a period's work). frames_tracked: frames the trackers ran on. face_searches: frames with no face tracked, in which the detector searched the whole frame. detector_checks: frames in which the detector checked a tracked face near its landmarks and found it (one check every 10 tracked frames; one that does not find it is followed by a face search, counted there). landmark_fits_skipped: frames whose landmark fit was reused because the eye region had not changed since the last fit. iris_eyes_located: eyes the iris network located (0, 1 or 2 per frame). single_eye_iris_frames: frames in which it located one eye while the eyes fixated, the other eye carried over. */
export interface PipelineWork {
  frames_tracked: number;
  face_searches: number;
  detector_checks: number;
  landmark_fits_skipped: number;
  iris_eyes_located: number;
  single_eye_iris_frames: number;
}

/** Response to GET /health. loop_lag_ms: how late the event loop woke up for a periodic timer over the last minute. node: this server's name; draining: whether it refuses new sessions (then the HTTP status is 503, which a load balancer's health check takes as 'send no new sessions here', while the node finishes the sessions it has). pipeline_work: the workers' cumulative work counts (see pipeline_work). */
export interface Health {
  status: "ok";
  version: string;
  protocol_version: Version;
  sessions: number;
  max_sessions: number;
  workers: number;
  loop_lag_ms: {
    p50: number | null;
    p95: number | null;
    max: number | null;
  };
  node: NodeName;
  draining: boolean;
  pipeline_work: PipelineWork;
}

/** A session as the monitor names it: the first 16 hex digits of a keyed hash (HMAC-SHA256, key made at server start) of its session_id. Stable for the session's life; reveals nothing of the session_id. */
export type MonitorAnonId = string;

/** One gaze point of a monitor trace: capture time (server clock), gaze direction in degrees (signs as in gaze_direction: yaw positive towards the image's right, the participant's left; pitch positive up) and, once the session is calibrated, the smoothed point on the participant's screen in CSS pixels of its config.screen (absent before; may lie off the screen). Frames without a gaze direction add no point. */
export interface MonitorTracePoint {
  timestamp_unix_ns: UnixNs;
  yaw_deg: number;
  pitch_deg: number;
  screen_x_px?: number;
  screen_y_px?: number;
}

/** idle: no recording runs; recording: one runs (recording_id); unavailable: the server keeps no recordings (no data directory). */
export type MonitorRecordingState = "idle" | "recording" | "unavailable";

/** One live session as the monitor shows it. processed_fps: samples per second over the last 2 s. face_found: in the latest sample. calibrated: samples carry screen_point. screen: the size the client gave (CSS px), null when it gave none. trace: the last gaze points, oldest first (at most trace_max_points). participant_label: see participant_label, null when none is set. calibration_quality: the verdict of the session's latest calibration fit, the one in use or a poor one waiting for calibration_accept, null without one (or for a loaded model, which carries none); calibration_applied: a calibration is in use. thumbnail_shared: the participant lets the host see a camera thumbnail (share_thumbnail). node: the node holding the session (actions on it are forwarded there). */
export interface MonitorSession {
  anon_id: MonitorAnonId;
  node: NodeName;
  state: "connecting" | "live";
  started_unix_ns: UnixNs;
  processed_fps: number;
  face_found: boolean;
  calibrated: boolean;
  screen: {
    width_px: number;
    height_px: number;
  } | null;
  recording: MonitorRecordingState;
  recording_id: RecordingId | null;
  trace: MonitorTracePoint[];
  participant_label: ParticipantLabel | null;
  calibration_quality: CalibrationQuality | null;
  calibration_applied: boolean;
  thumbnail_shared: boolean;
}

/** Response to GET /api/monitor/sessions (Authorization: Bearer <host token>): every live session, oldest first. server_time_unix_ns: when the list was made (for the age of trace points). host_recording_allowed: false when the server runs with --no-host-recording (a host's start is refused: only the participant starts recordings). In a cluster (--database postgresql://...) the sessions of every live node, those of other nodes as they wrote them at most ~1 s before. node: the node that answered; nodes: every node known (just this one without a cluster), sorted by name. */
export interface MonitorSessionList {
  server_time_unix_ns: UnixNs;
  trace_max_points: number;
  host_recording_allowed: boolean;
  node: NodeName;
  nodes: MonitorNode[];
  sessions: MonitorSession[];
}

/** A node of the cluster as the monitor shows it. state: up, draining (takes no new sessions, finishes its own) or lost (no heartbeat for more than 5 s: its sessions are left out). heartbeat_age_s: since its last write to the cluster database (0 for the node answering). sessions: its live sessions; processed_fps: their samples per second together; cpu_percent: CPU use of its processes over the last second (100 = one core), null before it was measured. */
export interface MonitorNode {
  name: NodeName;
  state: "up" | "draining" | "lost";
  started_unix_ns: UnixNs;
  heartbeat_age_s: number;
  sessions: number;
  max_sessions: number;
  processed_fps: number;
  cpu_percent: number | null;
}

/** Response to POST /api/monitor/nodes/{node}/drain and /undrain (host token, empty body). applied: true for the node that answered (done at once); false for another node, which takes the request from the cluster database and drains itself (within ~0.1 s; its monitor_node state shows when). */
export interface MonitorNodeDrain {
  node: NodeName;
  draining: boolean;
  applied: boolean;
}

/** Response to POST /api/monitor/sessions/{anon_id}/recording (body: recording_request): the recording's summary, as recording_info without the session id, metadata, frame size and oculomotor counts. */
export interface MonitorRecordingInfo {
  anon_id: MonitorAnonId;
  recording_id: RecordingId;
  name: string | null;
  state: "recording" | "saved" | "cancelled" | "incomplete";
  started_unix_ns: UnixNs;
  stopped_unix_ns: UnixNs | null;
  sample_count: number;
  event_count: number;
  started_by: RecordingStartedBy;
  stopped_by: RecordingStoppedBy | null;
}

/** Response to POST /api/monitor/sessions/{anon_id}/events (body: event_request): the event as stored (see stored_event), without the session id. */
export interface MonitorEvent {
  anon_id: MonitorAnonId;
  name: EventName;
  timestamp_unix_ns: UnixNs;
  received_unix_ns: UnixNs;
  source: "client" | "arrival";
  recording_id: RecordingId | null;
}

/** Body of POST /api/monitor/sessions/{anon_id}/label (host token): the participant label the host gives the session (null clears it); answered with the session's monitor_session. The participant's page hears of it in a config message. */
export interface MonitorLabelRequest {
  participant_label: ParticipantLabel | null;
}

/** Response to POST /api/monitor/sessions/{anon_id}/end (host token, empty body): the session was ended; its participant's page got an error session_ended_by_host (fatal) before its connection closed, and a running recording was saved. */
export interface MonitorSessionEnded {
  anon_id: MonitorAnonId;
  state: "closed";
}

/** Every definition of the schema by its name, for typed validation. */
export interface Definitions {
  message: Message;
  version: Version;
  unix_ns: UnixNs;
  session_id: SessionId;
  session_secret: SessionSecret;
  output_mode: OutputMode;
  screen: Screen;
  status_interval_ms: StatusIntervalMs;
  config_options: ConfigOptions;
  gaze_tracking_option: GazeTrackingOption;
  participant_label: ParticipantLabel;
  share_thumbnail_option: ShareThumbnailOption;
  landmarks_option: LandmarksOption;
  session: SessionMessage;
  gaze_tracking: GazeTracking;
  hello: HelloMessage;
  config: ConfigMessage;
  ping: PingMessage;
  pong: PongMessage;
  point_px: PointPx;
  vector3: Vector3;
  eye_side: EyeSide;
  tracking_state: TrackingState;
  quality_flag: QualityFlag;
  face_box: FaceBox;
  eye_observation: EyeObservation;
  head_pose: HeadPose;
  gaze_direction: GazeDirection;
  blink_event: BlinkEvent;
  frame_quality: FrameQuality;
  sample: SampleMessage;
  screen_point: ScreenPoint;
  calibration_target: CalibrationTarget;
  calibration_targets: CalibrationTargets;
  calibration_start: CalibrationStartMessage;
  validation_start: ValidationStartMessage;
  target_shown: TargetShownMessage;
  target_done: TargetDoneMessage;
  calibration_end: CalibrationEndMessage;
  calibration_model: CalibrationModel;
  calibration_eye_model: CalibrationEyeModel;
  calibration_load: CalibrationLoadMessage;
  calibration_accept: CalibrationAcceptMessage;
  dwell_confirmed: DwellConfirmedMessage;
  drift_reset: DriftResetMessage;
  drift_status: DriftStatusMessage;
  calibration_target_residual: CalibrationTargetResidual;
  calibration_quality: CalibrationQuality;
  calibration_result: CalibrationResultMessage;
  validation_target_result: ValidationTargetResult;
  validation_result: ValidationResultMessage;
  status: StatusMessage;
  error_code: ErrorCode;
  error: ErrorMessage;
  event_name: EventName;
  event: EventMessage;
  event_request: EventRequest;
  stored_event: StoredEvent;
  event_ack: EventAckMessage;
  recording_id: RecordingId;
  recording_action: RecordingAction;
  recording_video_request: RecordingVideoRequest;
  recording_started_by: RecordingStartedBy;
  recording_stopped_by: RecordingStoppedBy;
  recording: RecordingMessage;
  recording_request: RecordingRequest;
  recording_info: RecordingInfo;
  recording_status: RecordingStatusMessage;
  recording_list: RecordingList;
  recording_time_s: RecordingTimeS;
  recording_interval: RecordingInterval;
  recording_screen_size: RecordingScreenSize;
  recording_summary: RecordingSummary;
  recording_replay: RecordingReplay;
  detection_method: DetectionMethod;
  fixation: FixationMessage;
  saccade: SaccadeMessage;
  offer_request: OfferRequest;
  offer_answer: OfferAnswer;
  ice_servers: IceServers;
  node_name: NodeName;
  pipeline_work: PipelineWork;
  health: Health;
  monitor_anon_id: MonitorAnonId;
  monitor_trace_point: MonitorTracePoint;
  monitor_recording_state: MonitorRecordingState;
  monitor_session: MonitorSession;
  monitor_session_list: MonitorSessionList;
  monitor_node: MonitorNode;
  monitor_node_drain: MonitorNodeDrain;
  monitor_recording_info: MonitorRecordingInfo;
  monitor_event: MonitorEvent;
  monitor_label_request: MonitorLabelRequest;
  monitor_session_ended: MonitorSessionEnded;
}

export type DefinitionName = keyof Definitions;

/** The `type` of every data-channel message (the root's oneOf), in schema order. */
export const MESSAGE_TYPES = ["hello","session","config","sample","status","error","ping","pong","event","event_ack","recording","recording_status","fixation","saccade","calibration_start","validation_start","target_shown","target_done","calibration_end","calibration_load","calibration_result","validation_result","calibration_accept","dwell_confirmed","drift_reset","drift_status"] as const satisfies readonly Message['type'][];

/** The names of all definitions, in schema order. */
export const DEFINITION_NAMES = ["message","version","unix_ns","session_id","session_secret","output_mode","screen","status_interval_ms","config_options","gaze_tracking_option","participant_label","share_thumbnail_option","landmarks_option","session","gaze_tracking","hello","config","ping","pong","point_px","vector3","eye_side","tracking_state","quality_flag","face_box","eye_observation","head_pose","gaze_direction","blink_event","frame_quality","sample","screen_point","calibration_target","calibration_targets","calibration_start","validation_start","target_shown","target_done","calibration_end","calibration_model","calibration_eye_model","calibration_load","calibration_accept","dwell_confirmed","drift_reset","drift_status","calibration_target_residual","calibration_quality","calibration_result","validation_target_result","validation_result","status","error_code","error","event_name","event","event_request","stored_event","event_ack","recording_id","recording_action","recording_video_request","recording_started_by","recording_stopped_by","recording","recording_request","recording_info","recording_status","recording_list","recording_time_s","recording_interval","recording_screen_size","recording_summary","recording_replay","detection_method","fixation","saccade","offer_request","offer_answer","ice_servers","node_name","pipeline_work","health","monitor_anon_id","monitor_trace_point","monitor_recording_state","monitor_session","monitor_session_list","monitor_node","monitor_node_drain","monitor_recording_info","monitor_event","monitor_label_request","monitor_session_ended"] as const satisfies readonly DefinitionName[];
