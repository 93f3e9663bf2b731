/** Human formats for the sidebar (pure functions, tested in jest). */
// Type only: jest runs these functions in Node without JupyterLab's ES modules.
import type { TranslationBundle } from '@jupyterlab/translation';

export function formatDuration(ms: number | null, trans: TranslationBundle): string {
  if (ms === null || !Number.isFinite(ms)) {
    return '';
  }
  if (ms < 1) {
    return trans.__('<1 ms');
  }
  if (ms < 1000) {
    return trans.__('%1 ms', Math.round(ms));
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return trans.__('%1 s', seconds.toFixed(seconds < 10 ? 2 : 1));
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans.__('%1 min %2 s', minutes, Math.round(seconds % 60));
  }
  return trans.__('%1 h %2 min', Math.floor(minutes / 60), minutes % 60);
}

/** "12 s ago", "5 min ago", or a date for anything older than a day. */
export function formatWhen(
  epochSeconds: number,
  trans: TranslationBundle,
  nowMs = Date.now()
): string {
  const ageSeconds = Math.max(0, nowMs / 1000 - epochSeconds);
  if (ageSeconds < 5) {
    return trans.__('just now');
  }
  if (ageSeconds < 60) {
    return trans.__('%1 s ago', Math.floor(ageSeconds));
  }
  if (ageSeconds < 3600) {
    return trans.__('%1 min ago', Math.floor(ageSeconds / 60));
  }
  if (ageSeconds < 86400) {
    return trans.__('%1 h ago', Math.floor(ageSeconds / 3600));
  }
  return new Date(epochSeconds * 1000).toLocaleDateString();
}

/** "1000 × 12", or '' */
export function formatShape(shape: number[] | null): string {
  return shape && shape.length ? shape.join(' × ') : '';
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The last part of a qualified type name: pandas.core.frame.DataFrame → DataFrame. */
export function shortType(type: string | null): string {
  return type ? type.split('.').pop() ?? type : '';
}
