/** Words for pipeline and task statuses and for triggers, through the translator. */
import type { TranslationBundle } from '@jupyterlab/translation';

export function statusLabel(status: string, trans: TranslationBundle): string {
  switch (status) {
    case 'queued':
      return trans.__('queued');
    case 'pending':
      return trans.__('pending');
    case 'running':
      return trans.__('running');
    case 'up_for_retry':
      return trans.__('up for retry');
    case 'ok':
      return trans.__('ok');
    case 'reused':
      return trans.__('reused');
    case 'error':
      return trans.__('error');
    case 'upstream_failed':
      return trans.__('upstream failed');
    case 'interrupted':
      return trans.__('interrupted');
    default:
      return status;
  }
}

export function triggerLabel(trigger: string, trans: TranslationBundle): string {
  switch (trigger) {
    case 'schedule':
      return trans.__('scheduled');
    case 'manual':
      return trans.__('manual');
    case 'backfill':
      return trans.__('backfill');
    case 'airflow':
      return trans.__('airflow');
    default:
      return trigger;
  }
}

/** One letter per trigger, for the grid's narrow run columns. */
export function triggerLetter(trigger: string, trans: TranslationBundle): string {
  switch (trigger) {
    case 'schedule':
      return trans.__('S');
    case 'manual':
      return trans.__('M');
    case 'backfill':
      return trans.__('B');
    case 'airflow':
      return trans.__('A');
    default:
      return '?';
  }
}
