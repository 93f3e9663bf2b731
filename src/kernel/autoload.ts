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

/** Python source that starts recording, the notebook path passed as a literal. */
export function activationCode(notebookPath: string): string {
  // JSON string literals are valid Python string literals.
  return (
    "__import__('plumbline.kernel', fromlist=['activate'])" +
    `.activate(notebook_path=${JSON.stringify(notebookPath)})`
  );
}

export interface IAutoloadOptions {
  specs: KernelSpec.IManager;
  enabled: () => boolean;
  /** The recorder could not be loaded (the kernel is not recorded). */
  onFailure: (path: string, message: string) => void;
  /** The recorder loaded but says something is wrong (e.g. the store is unusable: runs wait in memory). */
  onWarning: (path: string, message: string) => void;
}

export function watchNotebook(panel: NotebookPanel, options: IAutoloadOptions): void {
  const context = panel.sessionContext;
  let needsLoad = false;

  const load = (kernel: Kernel.IKernelConnection | null | undefined) => {
    if (!kernel || !options.enabled() || !isPython(kernel, options.specs)) {
      return;
    }
    const path = context.path;
    const future = kernel.requestExecute(
      {
        code: activationCode(path),
        silent: true,
        store_history: false,
        allow_stdin: false,
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
          options.onFailure(path, `${content.ename}: ${content.evalue}`);
        } else if (said.trim()) {
          options.onWarning(path, said.trim().replace(/^Plumbline could not record this run: /, ''));
        }
      },
      () => undefined // the kernel went away meanwhile
    );
  };

  const onStatus = (_: unknown, status: Kernel.Status) => {
    if (status === 'restarting' || status === 'autorestarting') {
      needsLoad = true;
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
