/**
 * A JupyterLab dialog whose confirm button runs `submit` first and closes only
 * when it succeeds: a refusal (the server's reason) is said in the dialog and
 * nothing the user typed is lost.
 */
import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export interface ISubmitBody extends Widget {
  /** Do the work; true: close the dialog. Says its own refusals in place. */
  submit(): Promise<boolean>;
  /** Set by the dialog: call with true while confirm must stay disabled. */
  blockedChanged?: (blocked: boolean) => void;
}

export class SubmitDialog extends Dialog<void> {
  constructor(
    private readonly _form: ISubmitBody,
    options: { title: string; cancel: string; accept: string; className?: string; warn?: boolean; focus?: string }
  ) {
    super({
      title: options.title,
      body: _form,
      buttons: [
        Dialog.cancelButton({ label: options.cancel }),
        options.warn ? Dialog.warnButton({ label: options.accept }) : Dialog.okButton({ label: options.accept })
      ],
      focusNodeSelector: options.focus
    });
    if (options.className) {
      this.addClass(options.className);
    }
    _form.blockedChanged = blocked => {
      this._blocked = blocked;
      this._sync();
    };
  }

  /** Resolves true when submitted, false when cancelled. */
  async run(): Promise<boolean> {
    const result = await this.launch();
    return result.button.accept;
  }

  resolve(index?: number): void {
    if (index === 0) {
      super.resolve(index);
      return;
    }
    if (this._busy) {
      return;
    }
    this._busy = true;
    this._sync();
    void this._form.submit().then(
      done => {
        this._busy = false;
        if (done) {
          super.resolve(1);
        } else {
          this._sync();
        }
      },
      () => {
        this._busy = false;
        this._sync();
      }
    );
  }

  private _sync(): void {
    const accept = this.node.querySelector('.jp-Dialog-footer .jp-mod-accept') as HTMLButtonElement | null;
    if (accept) {
      accept.disabled = this._busy || this._blocked;
    }
  }

  private _busy = false;
  private _blocked = false;
}
