// An example jsPsych experiment with gazertc: calibrate, validate (accuracy and precision in
// degrees), then two choice trials recorded with the gazertc extension. At the end, a summary
// with the server's verdicts and the data as a JSON download. Served by `gazertc serve` at
// /examples/jspsych/.
//
// It uses gazertc's native extension and plugins (jspsych-gazertc.js). A page written for
// jsPsych's WebGazer extension can instead keep its code and pass gazertc's WebGazer stand-in:
//   initJsPsych({extensions: [{type: jsPsychExtensionWebgazer, params: {webgazer: gazertc.webgazer}}]})
// (docs/jspsych.md).

/* global initJsPsych, jsPsychHtmlKeyboardResponse,
   jsPsychExtensionGazertc, jsPsychGazertcCalibrate, jsPsychGazertcValidate */

'use strict';

/** How long each choice screen stays (ms) unless a key is pressed. */
const CHOICE_MS = 4000;
/**
 * Use a calibration the server judges poor: a study usually keeps every session's data and judges
 * it afterwards by the verdicts saved with it (calibration_quality, validation_quality). false:
 * a poor calibration is not used and the trials get no gaze points (repeat the calibration while
 * calibration_applied is false).
 */
const ACCEPT_POOR_CALIBRATION = true;

const jsPsych = initJsPsych({
  extensions: [{ type: jsPsychExtensionGazertc, params: {} }],
  on_finish: showSummary,
});

function text(html) {
  return `<div class="example-text">${html}</div>`;
}

/** `value` as HTML text (the server's words go into a stimulus). */
function escapeHtml(value) {
  const element = document.createElement('span');
  element.textContent = value;
  return element.innerHTML;
}

/** The server's verdict on the last calibration, in words. */
function calibrationVerdict() {
  const calibrations = jsPsych.data.get().filter({ trial_type: 'gazertc-calibrate' }).values();
  const calibration = calibrations[calibrations.length - 1];
  if (calibration === undefined) return 'No calibration was run.';
  if (calibration.calibration_error !== null) {
    return `The calibration failed: ${calibration.calibration_error}`;
  }
  const use = calibration.calibration_applied ? 'in use' : 'not used';
  return `Calibration ${calibration.calibration_quality} (${use}): ${calibration.calibration_quality_reason}`;
}

function choice(left, right) {
  return {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: `<div class="example-choice"><span id="left">${left}</span><span id="right">${right}</span></div>`,
    choices: ['f', 'j'],
    prompt: text('<p>Press <kbd>F</kbd> for the left word, <kbd>J</kbd> for the right one.</p>'),
    trial_duration: CHOICE_MS,
    extensions: [
      {
        type: jsPsychExtensionGazertc,
        params: { targets: ['#left', '#right'] },
      },
    ],
    data: { task: 'choice' },
  };
}

const timeline = [
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: text(
      '<h1>Eye tracking with gazertc</h1>' +
        '<p>This page uses your camera to estimate where you look. The video goes to the ' +
        'gazertc server that served this page, nowhere else.</p>' +
        '<p>Next, dots appear one after the other: look at each until it moves on.</p>' +
        '<p>Press any key to start the camera and the calibration.</p>',
    ),
  },
  { type: jsPsychGazertcCalibrate, accept_poor_calibration: ACCEPT_POOR_CALIBRATION },
  {
    type: jsPsychHtmlKeyboardResponse,
    stimulus: () =>
      text(
        `<p id="example-calibration-verdict">${escapeHtml(calibrationVerdict())}</p>` +
          '<p>Now a few more dots, to measure how accurate the tracking is.</p><p>Press any key.</p>',
      ),
  },
  { type: jsPsychGazertcValidate },
  choice('apple', 'pear'),
  choice('river', 'mountain'),
];

/** The end screen: validation results, samples per trial and a download button. */
function showSummary() {
  const data = jsPsych.data.get();
  const display = jsPsych.getDisplayElement();
  const summary = document.createElement('div');
  summary.className = 'example-summary';
  const heading = document.createElement('h1');
  heading.textContent = 'Done. Thank you!';
  summary.append(heading);

  const calibration = document.createElement('p');
  calibration.id = 'example-calibration';
  calibration.textContent = calibrationVerdict();
  summary.append(calibration);

  const validation = data.filter({ trial_type: 'gazertc-validate' }).values()[0];
  const accuracy = document.createElement('p');
  accuracy.id = 'example-accuracy';
  accuracy.textContent =
    validation === undefined || validation.accuracy_deg === null
      ? `No validation result (${validation?.validation_error ?? 'not run'}).`
      : `Validation: accuracy ${validation.accuracy_deg.toFixed(2)}° (${Math.round(validation.accuracy_px)} px), ` +
        `precision ${validation.precision_deg.toFixed(2)}° (${Math.round(validation.precision_px)} px): ` +
        `${validation.validation_quality}.`;
  summary.append(accuracy);

  const table = document.createElement('table');
  table.id = 'example-trials';
  const header = table.insertRow();
  for (const title of ['trial', 'samples', 'with a gaze point', 'fixations', 'blinks']) {
    const cell = document.createElement('th');
    cell.textContent = title;
    header.append(cell);
  }
  for (const trial of data.filter({ task: 'choice' }).values()) {
    const row = table.insertRow();
    for (const value of [
      trial.trial_index,
      trial.gazertc_samples.length,
      trial.webgazer_data.length,
      trial.gazertc_fixations.length,
      trial.gazertc_blinks.length,
    ]) {
      row.insertCell().textContent = String(value);
    }
  }
  summary.append(table);

  const download = document.createElement('button');
  download.className = 'jspsych-btn';
  download.textContent = 'Download the data (JSON)';
  download.addEventListener('click', () => data.localSave('json', 'gazertc-jspsych.json'));
  summary.append(download);
  display.replaceChildren(summary);
}

jsPsych.run(timeline);
