import { ANALYTICS_SOURCE_LENGTH } from '../entities/netcore-analytics-event.entity';
import { analyticsSource } from './analytics-source';

describe('analyticsSource', () => {
  it('keeps a source that fits the column as it is, and an absent one as empty', () => {
    expect(analyticsSource('kiran')).toBe('kiran');
    expect(analyticsSource('s'.repeat(ANALYTICS_SOURCE_LENGTH))).toBe('s'.repeat(ANALYTICS_SOURCE_LENGTH));
    expect(analyticsSource(undefined)).toBe('');
  });

  it('cuts a longer source to the column length', () => {
    expect(analyticsSource('s'.repeat(200))).toBe('s'.repeat(ANALYTICS_SOURCE_LENGTH));
  });

  it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
    const emoji = '\u{1F600}'; // two UTF-16 units, one character
    const cut = analyticsSource(emoji.repeat(ANALYTICS_SOURCE_LENGTH + 1));
    expect([...cut]).toHaveLength(ANALYTICS_SOURCE_LENGTH);
    expect(cut).toBe(emoji.repeat(ANALYTICS_SOURCE_LENGTH));
    // 100 emoji are 200 units but only 100 characters: kept whole.
    expect(analyticsSource(emoji.repeat(100))).toBe(emoji.repeat(100));
  });
});
