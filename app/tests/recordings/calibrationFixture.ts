// A stored validation report, as the server keeps it with a recording.

export const VALIDATION = {
  v: 1,
  type: 'validation_result',
  targets: [
    {
      target_id: 0,
      x_px: 100,
      y_px: 100,
      accuracy_px: 40,
      accuracy_deg: 1.2,
      precision_px: 5,
      precision_deg: 0.2,
      samples_used: 12,
    },
  ],
  accuracy_px: 40,
  accuracy_deg: 1.2,
  accuracy_cm: null,
  precision_px: 5,
  precision_deg: 0.2,
  viewing_distance_mm: 600,
  screen_size_estimated: true,
  quality: 'fair',
  quality_reason: 'about 1.2 degrees',
};
