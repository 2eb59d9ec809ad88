// Names for the parts of the recordings API's answers (generated from the protocol schema) that
// the recordings pages pass around.

import type {
  RecordingInterval,
  RecordingReplay,
  RecordingScreenSize,
  RecordingSummary,
} from 'gazertc-client/protocol';

export type { RecordingReplay, RecordingSummary };
export type TimeSpan = RecordingInterval;
export type ReplayEvent = RecordingReplay['events'][number];
export type ReplayFixation = RecordingReplay['fixations'][number];
export type ScreenSizePx = RecordingScreenSize;
