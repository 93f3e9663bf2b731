/**
 * Loads Plumbline's IPython extension into every Python kernel a notebook
 * starts or restarts, before any cell the user sends to it.
 *
 * The load request is queued on the kernel connection synchronously, inside
 * the signal that announces the kernel (or its reconnection after a restart),
 * so it reaches the kernel ahead of "Restart and run all"'s cells.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelSpec } from '@jupyterlab/services';

/**
 * Python source that starts recording, the notebook path and this connection's
 * client id (the `session` of its request headers: a kernel shared by two
 * notebooks records each cell under the one that sent it) passed as literals.
 */
export function activationCode(notebookPath: string, clientId?: string): string {
  // JSON string literals are valid Python string literals.
  return (
    "__import__('plumbline.kernel', fromlist=['activate'])" +
    `.activate(notebook_path=${JSON.stringify(notebookPath)}` +
    (clientId ? `, client=${JSON.stringify(clientId)})` : ')')
  );
}

/** Evaluated with the activation: the recorder's session id (what the kernel holds is recorded under it). */
export const SESSION_EXPRESSION = "__import__('plumbline.kernel', fromlist=['recorder']).recorder().session.id";

/** The session id out of the activation reply's user expressions, or null. */
export function sessionOfReply(content: { user_expressions?: { [key: string]: any } }): string | null {
  const value = content.user_expressions?.plumbline;
  const text = value?.status === 'ok' ? value.data?.['text/plain'] : undefined;
  const match = typeof text === 'string' ? /^'([0-9a-f-]{36})'$/.exec(text) : null;
  return match ? match[1] : null;
}

export interface IAutoloadOptions {
  specs: KernelSpec.IManager;
  enabled: () => boolean;
  /** The recorder could not be loaded (the kernel is not recorded). */
  onFailure: (path: string, message: string) => void;
  /** The recorder loaded but says something is wrong (e.g. the store is unusable: runs wait in memory). */
  onWarning: (path: string, message: string) => void;
  /**
   * The recorder session of the notebook's kernel: its id once loaded, null while a
   * kernel (re)starts and holds nothing yet, undefined when there is no recorded kernel.
   */
  onSession?: (session: string | null | undefined) => void;
}

export function watchNotebook(panel: NotebookPanel, options: IAutoloadOptions): void {
  const context = panel.sessionContext;
  let needsLoad = false;

  const load = (kernel: Kernel.IKernelConnection | null | undefined) => {
    if (!kernel || !options.enabled() || !isPython(kernel, options.specs)) {
      options.onSession?.(undefined);
      return;
    }
    const path = context.path;
    const future = kernel.requestExecute(
      {
        code: activationCode(path, kernel.clientId),
        silent: true,
        store_history: false,
        allow_stdin: false,
        user_expressions: { plumbline: SESSION_EXPRESSION },
        // A kernel without plumbline must not abort the user's queued cells.
        stop_on_error: false
      },
      true
    );
    // The request is silent: what the recorder prints while loading goes nowhere unless shown here.
    let said = '';
    future.onIOPub = msg => {
      if (msg.header.msg_type === 'stream') {
        const content = msg.content as { name?: string; text?: string };
        if (content.name === 'stderr' && content.text) {
          said += content.text;
        }
      }
    };
    // Done: the reply and the kernel's idle status arrived, so every stream message has too.
    void future.done.then(
      reply => {
        if (reply.content.status === 'error') {
          const content = reply.content as { ename?: string; evalue?: string };
          options.onSession?.(undefined);
          options.onFailure(path, `${content.ename}: ${content.evalue}`);
          return;
        }
        options.onSession?.(sessionOfReply(reply.content as any) ?? undefined);
        if (said.trim()) {
          options.onWarning(path, said.trim().replace(/^Plumbline could not record this run: /, ''));
        }
      },
      () => undefined // the kernel went away meanwhile
    );
  };

  const onStatus = (_: unknown, status: Kernel.Status) => {
    if (status === 'restarting' || status === 'autorestarting') {
      needsLoad = true;
      options.onSession?.(null); // the new kernel holds nothing
    } else if (status === 'dead') {
      options.onSession?.(undefined);
    }
  };
  const onConnection = (
    sender: Kernel.IKernelConnection,
    status: Kernel.ConnectionStatus
  ) => {
    if (status === 'connected' && needsLoad) {
      needsLoad = false;
      load(sender);
    }
  };
  const attach = (kernel: Kernel.IKernelConnection | null | undefined) => {
    if (!kernel) {
      return;
    }
    kernel.statusChanged.connect(onStatus);
    kernel.connectionStatusChanged.connect(onConnection);
    load(kernel);
  };

  context.kernelChanged.connect((_: ISessionContext, change) => {
    change.oldValue?.statusChanged.disconnect(onStatus);
    change.oldValue?.connectionStatusChanged.disconnect(onConnection);
    if (!change.newValue) {
      options.onSession?.(undefined);
    }
    attach(change.newValue);
  });
  context.propertyChanged.connect((_, property) => {
    if (property === 'path') {
      load(context.session?.kernel); // a rename: tell the kernel the new path
    }
  });
  attach(context.session?.kernel);
}

function isPython(kernel: Kernel.IKernelConnection, specs: KernelSpec.IManager): boolean {
  const spec = specs.specs?.kernelspecs[kernel.name];
  if (spec) {
    return spec.language.toLowerCase() === 'python';
  }
  return kernel.name.toLowerCase().startsWith('python');
}
