import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7 UUID carrying the time in its first 48 bits', () => {
    const id = timeOrderedId(Date.UTC(2025, 11, 2, 16, 36, 41, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2025, 11, 2, 16, 36, 41, 123));
  });

  it('sorts ids of later milliseconds after earlier ones, and never repeats', () => {
    const earlier = timeOrderedId(1764693401000);
    const later = timeOrderedId(1764693401001);
    expect(earlier < later).toBe(true);
    const many = new Set(Array.from({ length: 10000 }, () => timeOrderedId(1764693401000)));
    expect(many.size).toBe(10000);
  });
});
