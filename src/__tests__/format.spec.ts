import type { TranslationBundle } from '@jupyterlab/translation';

import { formatDuration, formatWhen } from '../ui/format';

/** A language pack's bundle: msgids in, translated and interpolated text out. */
function bundle(messages: Record<string, string>): TranslationBundle {
  return {
    __: (msgid: string, ...args: unknown[]) =>
      args.reduce<string>((text, arg, i) => text.replace(`%${i + 1}`, String(arg)), messages[msgid] ?? msgid)
  } as unknown as TranslationBundle;
}
const untranslated = bundle({});

describe('formatDuration', () => {
  it.each([
    [null, ''],
    [0.4, '<1 ms'],
    [12.4, '12 ms'],
    [1530, '1.53 s'],
    [42_000, '42.0 s'],
    [185_000, '3 min 5 s'],
    [7_500_000, '2 h 5 min']
  ])('%p ms reads %p', (ms, text) => {
    expect(formatDuration(ms as number | null, untranslated)).toBe(text);
  });
});

describe('formatWhen', () => {
  const now = 1_767_225_600_000;
  it.each([
    [now / 1000 - 2, 'just now'],
    [now / 1000 - 30, '30 s ago'],
    [now / 1000 - 600, '10 min ago'],
    [now / 1000 - 7200, '2 h ago']
  ])('%p reads %p', (when, text) => {
    expect(formatWhen(when, untranslated, now)).toBe(text);
  });
  it('shows a date beyond a day', () => {
    expect(formatWhen(now / 1000 - 3 * 86400, untranslated, now)).toBe(
      new Date(now - 3 * 86400 * 1000).toLocaleDateString()
    );
  });
});

describe('translation', () => {
  const german = bundle({ '%1 min ago': 'vor %1 Min.', '%1 min %2 s': '%1 Min. %2 s' });

  it('goes through the translation bundle', () => {
    const now = 1_767_225_600_000;
    expect(formatWhen(now / 1000 - 600, german, now)).toBe('vor 10 Min.');
    expect(formatDuration(185_000, german)).toBe('3 Min. 5 s');
  });
});
