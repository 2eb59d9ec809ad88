// Hands-free start: on a page load, for someone who opted in and whose browser already lets this
// page use the camera, start the camera and tracking with no click. Anything short of that leaves
// the usual start screen, without an error: the person can still press the buttons.

import { autoStartChosen, autoStartProgressed, type AppState } from '../store/appState';
import type { Store } from '../store/store';
import { loadHandsFree, saveHandsFree, type KeyValueStorage } from './preference';

/** What the browser says about the camera, without asking; unknown where it cannot say. */
export type CameraPermission = 'granted' | 'denied' | 'prompt' | 'unknown';

/** The part of the app controller that starts tracking. */
export interface TrackingStarter {
  startCamera(deviceId: string | null): Promise<void>;
  stopCamera(): void;
  connect(): void;
}

export interface HandsFreeDeps {
  store: Store<AppState>;
  controller: TrackingStarter;
  storage: KeyValueStorage;
  /** `navigator.permissions`: absent in some browsers and on insecure pages. */
  permissions: Pick<Permissions, 'query'> | undefined;
}

export async function cameraPermission(
  permissions: Pick<Permissions, 'query'> | undefined,
): Promise<CameraPermission> {
  if (permissions === undefined) return 'unknown';
  try {
    // Not every browser knows 'camera' here (Firefox before 131 throws).
    const status = await permissions.query({ name: 'camera' });
    return status.state;
  } catch {
    return 'unknown';
  }
}

/**
 * Once per page load: read the preference and, when opted in and allowed, start the remembered
 * camera (the default one when it is gone) and connect. Resolves with the outcome.
 */
export async function autoStartTracking(deps: HandsFreeDeps): Promise<AppState['handsFree']> {
  const { store, controller } = deps;
  if (store.getState().handsFree.outcome !== 'pending') return store.getState().handsFree;
  const preference = loadHandsFree(deps.storage);
  store.update((state) => autoStartChosen(state, preference.autoStart));
  // The person may already have turned the camera on themselves: never take over.
  if (!preference.autoStart || cameraStatus(store) !== 'off') return skip(store);
  store.update((state) => autoStartProgressed(state, 'trying'));
  const permission = await cameraPermission(deps.permissions);
  // 'prompt' would open the browser's question unasked; 'unknown' tries, as the box promised.
  if (permission === 'denied' || permission === 'prompt') return skip(store);
  if (cameraStatus(store) !== 'off') return skip(store);
  await controller.startCamera(preference.deviceId);
  if (cameraStatus(store) === 'failed' && preference.deviceId !== null) {
    // The remembered camera is gone (unplugged, or its id was reset): the default one.
    await controller.startCamera(null);
  }
  const status = cameraStatus(store);
  // No error wall: the start screen as usual, its buttons say what to do.
  if (status === 'failed') controller.stopCamera();
  // Anything but 'on' here: failed, or the person pressed a camera button meanwhile.
  if (status !== 'on') return skip(store);
  controller.connect();
  store.update((state) => autoStartProgressed(state, 'started'));
  return store.getState().handsFree;
}

function cameraStatus(store: Store<AppState>): AppState['camera']['status'] {
  return store.getState().camera.status;
}

function skip(store: Store<AppState>): AppState['handsFree'] {
  store.update((state) => autoStartProgressed(state, 'skipped'));
  return store.getState().handsFree;
}

/** Tick or untick "Start tracking when this page opens", remembering the camera in use. */
export function chooseAutoStart(
  store: Store<AppState>,
  storage: KeyValueStorage,
  autoStart: boolean,
): void {
  store.update((state) => autoStartChosen(state, autoStart));
  saveHandsFree(storage, {
    autoStart,
    deviceId: store.getState().camera.granted?.deviceId ?? null,
  });
}

/** While opted in, remember each camera the person switches to; returns the unsubscribe. */
export function rememberChosenCamera(store: Store<AppState>, storage: KeyValueStorage): () => void {
  return store.subscribe((state, previous) => {
    const deviceId = state.camera.granted?.deviceId ?? null;
    if (!state.handsFree.autoStart || deviceId === null) return;
    if (deviceId === (previous.camera.granted?.deviceId ?? null)) return;
    saveHandsFree(storage, { autoStart: true, deviceId });
  });
}
