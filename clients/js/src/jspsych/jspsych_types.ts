// The parts of jsPsych 8's plugin and extension interfaces used here, written out so that this
// bundle needs no jsPsych import at run time (the page loads jsPsych itself). They match
// jspsych 8.3.0's index.d.ts (JsPsychExtension, PluginInfo, ParameterType).

/** jsPsych 8's ParameterType enum values (stable since jsPsych 7). */
export const ParameterType = {
  BOOL: 0,
  STRING: 1,
  INT: 2,
  FLOAT: 3,
  FUNCTION: 4,
  KEY: 5,
  KEYS: 6,
  SELECT: 7,
  HTML_STRING: 8,
  IMAGE: 9,
  AUDIO: 10,
  VIDEO: 11,
  OBJECT: 12,
  COMPLEX: 13,
  TIMELINE: 14,
} as const;

export interface ParameterInfo {
  type: (typeof ParameterType)[keyof typeof ParameterType];
  array?: boolean;
  default?: unknown;
  options?: unknown;
  nested?: Record<string, ParameterInfo>;
}

export interface ExtensionInfo {
  name: string;
  version: string;
  data: Record<string, ParameterInfo>;
}

export interface PluginInfo extends ExtensionInfo {
  parameters: Record<string, ParameterInfo>;
}

/** What the plugins and the extension call on the JsPsych instance. */
export interface JsPsychLike {
  getDisplayElement(): HTMLElement;
  extensions: Record<string, unknown>;
}
