import { useState } from 'react';
import { EXPORT_FORMATS, type ExportFormat, type RecordingsApi } from '../../recordings/api';
import { saveBlob } from '../../recordings/download';

const FORMAT_LABELS: Record<ExportFormat, string> = { csv: 'CSV', bids: 'BIDS' };

/** A download button per export format (fetched with the token, saved from a blob). */
export function ExportButtons({ api, recordingId }: { api: RecordingsApi; recordingId: string }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const download = async (format: ExportFormat): Promise<void> => {
    setBusy(format);
    setProblem(null);
    try {
      saveBlob(await api.exportZip(recordingId, format), `${recordingId}-${format}.zip`);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="recording-exports">
      {EXPORT_FORMATS.map((format) => (
        <button
          key={format}
          type="button"
          className="button"
          disabled={busy !== null}
          onClick={() => void download(format)}
        >
          {busy === format ? 'Preparing…' : `Download ${FORMAT_LABELS[format]} (zip)`}
        </button>
      ))}
      {problem !== null && (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
