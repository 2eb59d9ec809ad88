import { useMemo, useState } from 'react';
import type { RecordingsApi } from '../../recordings/api';
import { duration, percent, startTime } from '../../recordings/format';
import { planeFor } from '../../recordings/plane';
import { clampRange, type TimeRange } from '../../recordings/timeRange';
import type { RecordingReplay, RecordingSummary } from '../../recordings/types';
import { CalibrationCharts } from './CalibrationCharts';
import { ExportButtons } from './ExportButtons';
import { HeatmapCanvas } from './HeatmapCanvas';
import { RangeControls } from './RangeControls';
import { ReplayPlayer } from './ReplayPlayer';
import { ScanpathSvg } from './ScanpathSvg';
import { useLoaded } from './useLoaded';

function Facts({ summary }: { summary: RecordingSummary }) {
  const { recording, data_quality: quality } = summary;
  const facts: [string, string][] = [
    ['Participant', recording.participant_label ?? '–'],
    ['Started', startTime(recording.started_unix_ns)],
    ['Duration', duration(summary.duration_s)],
    ['Samples', String(quality.samples)],
    [
      'Expected frames',
      quality.expected_frames === null ? '–' : String(Math.round(quality.expected_frames)),
    ],
    ['Events', String(recording.event_count)],
    ['Frame rate', quality.frame_rate_hz === null ? '–' : `${quality.frame_rate_hz.toFixed(1)}/s`],
    ['Face found', percent(quality.face_found_share)],
    ['Gaze angles', percent(quality.gaze_share)],
    ['Screen gaze', percent(quality.screen_gaze_share)],
    ['Gaps over 200 ms', `${quality.gap_count} (${duration(quality.gap_total_s)})`],
    ['Fixations', String(recording.fixation_count)],
    ['Blinks', String(recording.blink_count)],
  ];
  return (
    <dl className="recording-facts" data-testid="recording-facts">
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Loaded(props: { api: RecordingsApi; summary: RecordingSummary; replay: RecordingReplay }) {
  const { summary, replay } = props;
  const recordingId = summary.recording.recording_id;
  const durationS = Math.max(summary.duration_s, replay.duration_s, replay.t_s.at(-1) ?? 0);
  const plane = useMemo(() => planeFor(replay), [replay]);
  const [typedRange, setTypedRange] = useState<TimeRange>({ fromS: 0, toS: durationS });
  const range = useMemo(() => clampRange(typedRange, durationS), [typedRange, durationS]);
  return (
    <>
      <div className="recording-heading">
        <h1>
          {summary.recording.name ?? 'Recording'} <code>{recordingId.slice(0, 8)}</code>
        </h1>
        <Facts summary={summary} />
        <ExportButtons api={props.api} recordingId={recordingId} />
      </div>
      <ReplayPlayer
        api={props.api}
        recordingId={recordingId}
        replay={replay}
        plane={plane}
        durationS={durationS}
      />
      <RangeControls
        events={replay.events}
        durationS={durationS}
        range={typedRange}
        onChange={setTypedRange}
      />
      <div className="recording-figures">
        <HeatmapCanvas replay={replay} plane={plane} range={range} />
        <ScanpathSvg replay={replay} plane={plane} range={range} />
      </div>
      <CalibrationCharts entries={summary.calibrations} screen={summary.screen ?? replay.screen} />
    </>
  );
}

/** One recording: its facts, exports, replay, heatmap, scanpath and calibration charts. */
export function RecordingPage(props: { api: RecordingsApi; recordingId: string }) {
  const { api, recordingId } = props;
  const loaded = useLoaded(
    (signal) => Promise.all([api.summary(recordingId, signal), api.replay(recordingId, signal)]),
    recordingId,
  );
  if (loaded.status === 'loading') return <p aria-live="polite">Loading the recording…</p>;
  if (loaded.status === 'failed') {
    return (
      <p className="notice notice-error" role="alert" data-testid="recordings-problem">
        {loaded.message}
      </p>
    );
  }
  const [summary, replay] = loaded.value;
  return <Loaded api={api} summary={summary} replay={replay} />;
}
