import { useCallback, useEffect, useState } from 'react';
import { spokenText, updateSettings, type BoardButton } from '../../board/board';
import { driftResetMessage, dwellConfirmedMessage } from '../../board/drift';
import { pressKey, KEYBOARD_KEYS, type KeyboardKey } from '../../board/keyboard';
import { markHandsFree, tabStorage } from '../../calibration/handsFree';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { DWELL_MS_CHOICES } from '../../calibration/storage';
import { longDwellMs, type DwellTrigger, type LoopMode } from '../../dwell/loop';
import { GestureDetector } from '../../gesture/gesture';
import { useAppStore, useController } from '../../store/react';
import { GazeCursorToggle } from '../calibration/GazeCursorToggle';
import { DurationSelect } from '../DurationSelect';
import { TrackingGate } from '../TrackingGate';
import { BoardControls, CONTROL_IDS, type BoardTab } from './BoardControls';
import { BoardEditor } from './BoardEditor';
import { DriftPanel } from './DriftPanel';
import { KEY_PREFIX, KeyboardPanel } from './KeyboardPanel';
import { PHRASE_PREFIX, PhraseGrid } from './PhraseGrid';
import { useBoard, useSpeaker, useTonePlayer } from './useBoard';
import { useDrift } from './useDrift';
import { useDwellLoop } from './useDwellLoop';
import './dwell.css';

const HISTORY_LENGTH = 5;

export function DwellPage() {
  return (
    <TrackingGate notice="The dwell buttons follow your gaze. Turn on the camera and start tracking first, then calibrate.">
      <DwellBoard />
    </TrackingGate>
  );
}

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLSelectElement ||
    target instanceof HTMLTextAreaElement
  );
}

/** A communication board: phrases and a keyboard chosen by a look, spoken aloud. */
function DwellBoard() {
  const app = useController();
  const appStore = useAppStore();
  const calibration = useCalibrationController();
  const calibrated = useCalibrationState((state) => state.calibrated);
  const dwellMs = useCalibrationState((state) => state.settings.dwellMs);
  const showCursor = useCalibrationState((state) => state.settings.showGazeCursor);
  const { board, edit, saved } = useBoard();
  const speaker = useSpeaker();
  const tone = useTonePlayer();
  const drift = useDrift(app);
  const [tab, setTab] = useState<BoardTab>('phrases');
  const [editing, setEditing] = useState(false);
  const [paused, setPaused] = useState(false);
  const [message, setMessage] = useState('');
  const [history, setHistory] = useState<readonly string[]>([]);
  const audioFeedback = board.settings.audioFeedback;

  /** Pause or resume the dwell targets: the Pause zone, the P key and any future gesture. */
  const togglePause = useCallback(() => setPaused((value) => !value), []);

  const remember = (chosen: string): void =>
    setHistory((previous) => [chosen, ...previous].slice(0, HISTORY_LENGTH));

  const choosePhrase = (button: BoardButton): void => {
    speaker.speak(spokenText(button));
    remember(button.label.trim() === '' ? spokenText(button) : button.label);
  };

  const typeKey = (key: KeyboardKey): void => {
    const result = pressKey(message, key);
    setMessage(result.message);
    if (result.speak !== null) {
      speaker.speak(result.speak);
      remember(result.speak);
    }
  };

  const recalibrate = (): void => {
    // Someone who chooses by a look also advances the calibration's targets by a look.
    calibration.updateSettings({ mode: 'dwell' });
    // ...and comes back to the board, or tries again, without a click.
    markHandsFree(tabStorage());
    window.location.hash = '#/calibrate';
    calibration.start('calibration');
  };

  /** What a target does, whether chosen by a look or a click; false for an unknown id. */
  const run = (id: string): boolean => {
    if (id.startsWith(PHRASE_PREFIX)) {
      const button = board.buttons.find((entry) => PHRASE_PREFIX + entry.id === id);
      if (button !== undefined) choosePhrase(button);
      return button !== undefined;
    }
    if (id.startsWith(KEY_PREFIX)) {
      const key = KEYBOARD_KEYS.find((entry) => KEY_PREFIX + entry.id === id);
      if (key !== undefined) typeKey(key);
      return key !== undefined;
    }
    if (id === CONTROL_IDS.phrases) setTab('phrases');
    else if (id === CONTROL_IDS.keyboard) setTab('keyboard');
    else if (id === CONTROL_IDS.pause) togglePause();
    else if (id === CONTROL_IDS.recalibrate) recalibrate();
    else return false;
    return true;
  };

  const onTrigger = (trigger: DwellTrigger): void => {
    if (!run(trigger.id)) return;
    if (audioFeedback) tone.play();
    const boardTarget = trigger.id.startsWith(PHRASE_PREFIX) || trigger.id.startsWith(KEY_PREFIX);
    // A known target looked at: the server corrects the calibration's drift with it.
    if (!boardTarget || !calibrated || paused) return;
    const confirmed = dwellConfirmedMessage(
      { centre: trigger.centre, startMs: trigger.startMs, endMs: trigger.endMs },
      {
        serverClockOffsetMs: calibration.serverClockOffsetMs(),
        timeOriginMs: performance.timeOrigin,
      },
    );
    if (confirmed !== null) app.send(confirmed);
  };

  const mode: LoopMode = editing ? 'off' : paused ? 'paused' : 'active';
  const loop = useDwellLoop({ dwellMs, mode, onTrigger });

  // P pauses and resumes from anywhere on the page (except while typing in a field).
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (isTyping(event.target)) return;
      if (event.key === 'p' || event.key === 'P') {
        event.preventDefault();
        togglePause();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [togglePause]);

  // Both eyes closed for a second pauses and resumes, for someone who cannot use P or a mouse.
  useEffect(() => {
    const gestures = new GestureDetector();
    return appStore.subscribe((state, previous) => {
      const sample = state.live.sample;
      if (sample === null || sample === previous.live.sample) return;
      if (gestures.update(sample, sample.timestamp_unix_ns / 1e6) === 'toggle-pause') togglePause();
    });
  }, [appStore, togglePause]);

  // Browsers start audio only after a user gesture: any click or key press on the page.
  useEffect(() => {
    if (!audioFeedback) return;
    const prepare = (): void => tone.prepare();
    window.addEventListener('pointerdown', prepare);
    window.addEventListener('keydown', prepare);
    return () => {
      window.removeEventListener('pointerdown', prepare);
      window.removeEventListener('keydown', prepare);
    };
  }, [audioFeedback, tone]);

  const { targetSize, columns } = board.settings;
  return (
    <div
      className="dwell board"
      data-testid="dwell-page"
      data-paused={paused}
      data-editing={editing}
      data-size={targetSize}
      data-columns={columns}
    >
      <div className="dwell-toolbar">
        <h1>Dwell buttons</h1>
        <DurationSelect
          label="Dwell time"
          valueMs={dwellMs}
          choicesMs={DWELL_MS_CHOICES}
          onChange={(ms) => calibration.updateSettings({ dwellMs: ms })}
          inline
        />
        <GazeCursorToggle />
        <label className="check">
          <input
            type="checkbox"
            checked={audioFeedback}
            onChange={(event) => {
              const on = event.target.checked;
              if (on) tone.prepare();
              edit((current) => updateSettings(current, { audioFeedback: on }));
            }}
          />
          Sound on choosing
        </label>
        <button
          type="button"
          className="button"
          aria-pressed={editing}
          data-testid="board-edit"
          onClick={() => setEditing((value) => !value)}
        >
          {editing ? 'Done editing' : 'Edit board'}
        </button>
      </div>
      {!calibrated && (
        <p className="notice notice-warning" role="status" data-testid="dwell-uncalibrated">
          The buttons respond to your gaze once this screen is calibrated:{' '}
          <a href="#/calibrate">calibrate now</a>. They also work with a click or the keyboard.
        </p>
      )}
      {!speaker.available && (
        <p className="notice notice-warning" data-testid="board-no-speech">
          This browser cannot speak: the board shows what was chosen instead.
        </p>
      )}
      {!saved && (
        <p className="notice notice-warning" role="status">
          This browser did not store the change: it lasts until the page is closed.
        </p>
      )}
      <p className="visually-hidden" role="status">
        {paused ? 'Dwell selection paused' : ''}
      </p>
      {editing ? (
        <BoardEditor board={board} edit={edit} />
      ) : (
        <>
          <BoardControls
            loop={loop}
            tab={tab}
            paused={paused}
            onTab={setTab}
            onTogglePause={togglePause}
            onRecalibrate={recalibrate}
          />
          {paused && (
            <p className="board-hint" data-testid="board-paused-hint">
              Paused. To resume, look away, then at Resume for {longDwellMs(dwellMs) / 1000} s, or
              press P.
            </p>
          )}
          {tab === 'phrases' ? (
            <PhraseGrid loop={loop} buttons={board.buttons} onChoose={choosePhrase} />
          ) : (
            <KeyboardPanel loop={loop} message={message} onKey={typeKey} />
          )}
        </>
      )}
      <p className="dwell-history" aria-live="polite" data-testid="dwell-history">
        {history.length === 0 ? 'Nothing chosen yet.' : `Chosen: ${history.join(', ')}`}
      </p>
      <DriftPanel
        drift={drift}
        calibrated={calibrated}
        onReset={() => app.send(driftResetMessage())}
      />
      {showCursor && calibrated && !editing && (
        <div
          ref={(element) => {
            loop.setCursor(element);
            return () => loop.setCursor(null);
          }}
          className="board-cursor"
          data-testid="gaze-cursor"
          data-visible="false"
          aria-hidden="true"
        />
      )}
    </div>
  );
}
