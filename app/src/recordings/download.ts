// Saving a fetched file: the browser downloads a blob through a temporary object URL.

/** Hand `blob` to the browser's downloads as `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later: the download reads the URL after this call returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
