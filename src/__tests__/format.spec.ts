import { formatDuration, formatWhen } from '../sidebar/format';

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
    expect(formatDuration(ms as number | null)).toBe(text);
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
    expect(formatWhen(when, now)).toBe(text);
  });
  it('shows a date beyond a day', () => {
    expect(formatWhen(now / 1000 - 3 * 86400, now)).toBe(
      new Date(now - 3 * 86400 * 1000).toLocaleDateString()
    );
  });
});
