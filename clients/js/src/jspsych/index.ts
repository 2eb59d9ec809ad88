// Entry of dist/jspsych-gazertc.js (a classic script after /lib/gazertc.js): defines
// window.jsPsychExtensionGazertc, window.jsPsychGazertcCalibrate and window.jsPsychGazertcValidate,
// the names a jsPsych experiment uses like those of jsPsych's own plugins.

import { GazertcExtension } from './extension';
import { GazertcCalibratePlugin, GazertcValidatePlugin } from './procedure_plugins';

export { GazertcExtension, GazertcCalibratePlugin, GazertcValidatePlugin };
export type { TrialGazeSample, WebgazerDataPoint, TrialFixation, TrialBlink } from './trial_data';

Object.assign(globalThis, {
  jsPsychExtensionGazertc: GazertcExtension,
  jsPsychGazertcCalibrate: GazertcCalibratePlugin,
  jsPsychGazertcValidate: GazertcValidatePlugin,
});
