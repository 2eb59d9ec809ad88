"""Record a session with events while a video file plays as the camera, then export it as CSV.

gazertc serve --data-dir gazertc-data &    # prints the monitor's address, ending #token=TOKEN
python examples/record_with_events.py http://127.0.0.1:3000 clip.mp4 --host-token TOKEN --seconds 5

Recording and marking events need nothing but the session's own connection; downloading the
export needs the host token, the one in the address ``gazertc serve`` printed.
"""

import argparse
import io
import time
import urllib.request
import zipfile
from pathlib import Path

from gazertc.client.simple import Client

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("url", help="the server, e.g. http://127.0.0.1:3000")
parser.add_argument("video", type=Path, help="a video file played as the camera")
parser.add_argument("--host-token", required=True, help="the server's host token (exports need it)")
parser.add_argument("--seconds", type=float, default=10.0, help="how long to record")
parser.add_argument("--output", type=Path, default=Path("recording-csv"), help="CSV folder")
args = parser.parse_args()

with Client(args.url, video=args.video, loop_video=True) as client:
    offset = client.estimate_time_offset()  # server clock minus ours
    recording = client.recording_start(name="example")
    started = time.monotonic()
    trial = 0
    while time.monotonic() - started < args.seconds:
        # Stamp the event now, on the server's clock: its time does not depend on the network.
        client.send_event(f"trial_{trial}", time.time_ns() + offset.offset_ns)
        trial += 1
        time.sleep(1.0)
    saved = client.recording_stop_and_save()
print(f"recorded {saved.sample_count} samples and {saved.event_count} events")

export_url = f"{args.url}/api/recordings/{saved.recording_id}/export?format=csv"
export_request = urllib.request.Request(
    export_url, headers={"Authorization": f"Bearer {args.host_token}"}
)
with urllib.request.urlopen(export_request) as response:
    zipfile.ZipFile(io.BytesIO(response.read())).extractall(args.output)
print(f"CSV files in {args.output / f'{recording.recording_id}-csv'}")
