// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HostPages } from '../../src/components/recordings/HostPages';
import { FakeRecordingsServer, RECORDING_ID } from './fakeRecordingsServer';

const TOKEN = 'host-token-0123456789';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

function renderHost(hash: string): FakeRecordingsServer {
  window.location.hash = hash;
  const server = new FakeRecordingsServer(TOKEN);
  render(<HostPages serverUrl="http://127.0.0.1:3000" fetch={server.fetch} />);
  return server;
}

function readout(): string {
  return screen.getByTestId('replay-time').textContent;
}

describe('the recordings pages', () => {
  it('explains that they need the token when the link has none', () => {
    const server = renderHost('#view=recordings');
    expect(screen.getByTestId('recordings-problem').textContent).toMatch(/needs the host token/);
    expect(server.requests).toEqual([]);
  });

  it('lists the recordings with their facts and opens one from the list', async () => {
    renderHost(`#token=${TOKEN}&view=recordings`);
    const item = await screen.findByTestId('recording-item');
    const facts = within(item);
    expect(facts.getByRole('link').textContent).toBe('reading task');
    expect(item.textContent).toMatch(/ParticipantP07/);
    expect(item.textContent).toMatch(/Duration2\.0 s/);
    expect(item.textContent).toMatch(/Samples20/);
    expect(item.textContent).toMatch(/Events2/);
    expect(facts.getAllByRole('button').map((button) => button.textContent)).toEqual([
      'Download CSV (zip)',
      'Download BIDS (zip)',
    ]);
    fireEvent.click(facts.getByRole('link'));
    await screen.findByTestId('replay-stage');
    expect(window.location.hash).toContain(`recording=${RECORDING_ID}`);
    expect(window.location.hash).toContain(`token=${TOKEN}`);
  });

  it('replays the recording: scrubbing moves the gaze and the readout', async () => {
    renderHost(`#token=${TOKEN}&recording=${RECORDING_ID}`);
    const stage = await screen.findByTestId('replay-stage');
    expect(stage.dataset['plane']).toBe('screen');
    expect(readout()).toBe('0:00.0 / 0:02.0');
    expect(
      screen
        .getAllByTestId('timeline-event')
        .map((event) => event.querySelector('text')?.textContent),
    ).toEqual(['stimulus_onset', 'response']);
    const gazeX = (): number => Number(screen.getByTestId('replay-gaze').getAttribute('cx'));
    // Before 1 s the gaze is on the left half of the screen, after it on the right.
    const leftX = gazeX();
    fireEvent.change(screen.getByTestId('replay-slider'), { target: { value: '1.5' } });
    expect(readout()).toBe('0:01.5 / 0:02.0');
    expect(gazeX()).toBeGreaterThan(leftX);
  });

  it('plays and pauses', async () => {
    renderHost(`#token=${TOKEN}&recording=${RECORDING_ID}`);
    const play = await screen.findByTestId('replay-play');
    fireEvent.click(play);
    expect(play.textContent).toBe('Pause');
    await waitFor(() => expect(readout()).not.toBe('0:00.0 / 0:02.0'));
    fireEvent.click(play);
    expect(play.textContent).toBe('Play');
    const paused = readout();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readout()).toBe(paused);
  });

  it('draws the heatmap and scanpath of the range between two events', async () => {
    renderHost(`#token=${TOKEN}&recording=${RECORDING_ID}`);
    const heatmap = await screen.findByTestId('heatmap');
    const circles = (): number => screen.getAllByTestId('scanpath-fixation').length;
    expect(heatmap.dataset['samples']).toBe('20');
    expect(circles()).toBe(3);
    fireEvent.change(screen.getByLabelText('From event'), { target: { value: '0' } });
    fireEvent.change(screen.getByLabelText('to event'), { target: { value: '1' } });
    // 0.5 s to 1.5 s: samples 5 to 15, and the two fixations starting at 0.6 and 1.1 s.
    expect(screen.getByTestId('heatmap').dataset['samples']).toBe('11');
    expect(circles()).toBe(2);
    expect(screen.getAllByTestId('scanpath-fixation')[0]?.textContent).toContain('1');
  });
});
