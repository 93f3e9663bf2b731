/**
 * The drift mark of a run, in a component cell's badge and in the runs
 * sidebar: what the monitor found in the run's outputs (drift_verdicts), and a
 * click that opens the drift panel of the first output needing attention.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { IDriftVerdict, needsAttention } from '../queries/monitoring';

export interface IDriftMark {
  /** "drift: clean", "schema: scores", "no drift", ... */
  label: string;
  /** The status of the output the mark opens (a CSS modifier). */
  status: IDriftVerdict['status'];
  /** Each compared output's summary, one per line. */
  title: string;
  /** The output a click opens. */
  runId: string;
  name: string;
}

/**
 * What the mark says (pure, jest): "drift: clean" (the outputs needing
 * attention), "schema: scores", or a quiet "no drift" once an output was
 * compared; null before there is anything to compare with (a first, reference
 * run) or when nothing was profiled. `verdicts` in byAttention order.
 */
export function driftMarkModel(verdicts: IDriftVerdict[], trans: TranslationBundle): IDriftMark | null {
  const compared = verdicts.filter(v => v.status !== 'reference');
  if (!compared.length) {
    return null;
  }
  const alarms = compared.filter(needsAttention);
  const first = alarms[0] ?? compared[0];
  const names = alarms.filter(v => v.status === first.status).map(v => v.name).join(', ');
  const label = !alarms.length
    ? compared.some(v => v.status === 'ok')
      ? trans.__('no drift')
      : trans.__('drift not judged')
    : first.status === 'drift'
      ? trans.__('drift: %1', names)
      : first.status === 'schema'
        ? trans.__('schema: %1', names)
        : trans.__('drift error: %1', first.name);
  const title = compared
    .map(v => {
      const worst =
        v.status === 'drift' && v.worstColumn && v.worstValue !== null && v.worstThreshold !== null
          ? trans.__(' (worst: %1 %2 > %3)', v.worstColumn, v.worstValue.toPrecision(3), v.worstThreshold.toPrecision(3))
          : v.status === 'schema' && v.worstColumn
            ? trans.__(' (%1)', v.worstColumn)
            : '';
      return `${v.name}: ${v.message}${worst}`;
    })
    .join('\n');
  return { label, status: first.status, title, runId: first.runId, name: first.name };
}

/** The mark as a button (null: nothing to show); a click calls `open`. */
export function driftMark(
  verdicts: IDriftVerdict[],
  trans: TranslationBundle,
  open: ((runId: string, name: string) => void) | null
): HTMLElement | null {
  const mark = driftMarkModel(verdicts, trans);
  if (!mark) {
    return null;
  }
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `jp-Plumbline-badgeDrift jp-mod-${mark.status.replace(/\s+/g, '-')}`;
  node.textContent = mark.label;
  node.dataset.name = mark.name;
  node.dataset.run = mark.runId;
  node.dataset.status = mark.status;
  node.title = open ? `${mark.title}\n${trans.__('Click to open the drift panel of %1', mark.name)}` : mark.title;
  if (open) {
    node.addEventListener('keydown', event => event.stopPropagation());
    node.addEventListener('click', event => {
      event.stopPropagation();
      open(mark.runId, mark.name);
    });
  } else {
    node.disabled = true;
  }
  return node;
}
