/**
 * Asks the notebook's live kernel which values can cross a process boundary
 * (plumbline.pipelines.probe.crossing), as a silent execute: no execution count,
 * no history, no output in the notebook, and not recorded as a run.
 */
import type { Kernel } from '@jupyterlab/services';

import type { IProbeAnswer } from './api';
import { parseProbe, probeCode } from './model';

export async function probeKernel(
  kernel: Kernel.IKernelConnection | null | undefined,
  names: string[],
  imports: string[],
  timeoutMs = 20000
): Promise<{ answer: IProbeAnswer | null; problem: string | null }> {
  if (!kernel || kernel.status === 'dead') {
    return { answer: null, problem: null };
  }
  const future = kernel.requestExecute(
    { code: probeCode(names, imports), silent: true, store_history: false, allow_stdin: false, stop_on_error: false },
    true
  );
  let stdout = '';
  let stderr = '';
  future.onIOPub = msg => {
    if (msg.header.msg_type === 'stream') {
      const content = msg.content as { name?: string; text?: string };
      if (content.name === 'stdout') {
        stdout += content.text ?? '';
      } else {
        stderr += content.text ?? '';
      }
    }
  };
  let timer = 0;
  const timeout = new Promise<'timeout'>(resolve => (timer = window.setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    const reply = await Promise.race([future.done, timeout]);
    if (reply === 'timeout') {
      // A busy kernel answers after the user's cells: preview without it meanwhile.
      return { answer: null, problem: 'The kernel is busy; the types shown come from the recorded runs.' };
    }
    if (reply.content.status === 'error') {
      const content = reply.content as { ename?: string; evalue?: string };
      return { answer: null, problem: `${content.ename}: ${content.evalue}` };
    }
    const answer = parseProbe(stdout);
    return { answer, problem: answer ? null : stderr.trim() || null };
  } catch (error) {
    return { answer: null, problem: (error as Error).message };
  } finally {
    window.clearTimeout(timer);
  }
}
