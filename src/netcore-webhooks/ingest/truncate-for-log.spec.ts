import { truncateForLog } from './truncate-for-log';

describe('truncateForLog', () => {
  it('keeps a short line as it is', () => {
    expect(truncateForLog('{"a":1}')).toBe('{"a":1}');
  });

  it('cuts a long text and says how long it was', () => {
    expect(truncateForLog('x'.repeat(1000), 10)).toBe(`${'x'.repeat(10)}... (1000 chars)`);
  });

  it('keeps a log line one line, with NUL and terminal escape sequences shown escaped', () => {
    const out = truncateForLog('a\nb\u0000c\u001b[31md\u2028e');
    expect(out).toBe('a b\\u0000c\\u001b[31md\\u2028e');
    expect(out).not.toMatch(/[\u0000-\u001f]/);
  });
});
