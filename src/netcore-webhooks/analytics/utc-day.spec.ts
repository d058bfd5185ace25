import { isUtcDay, utcDay } from './utc-day';

describe('utcDay', () => {
  it('buckets an instant by its UTC day, not the local one', () => {
    expect(utcDay(new Date('2025-12-01T23:59:59.999Z'))).toBe('2025-12-01');
    expect(utcDay(new Date('2025-12-02T00:00:00Z'))).toBe('2025-12-02');
  });
});

describe('isUtcDay', () => {
  it.each(['2025-12-01', '2024-02-29'])('accepts %s', (day) => expect(isUtcDay(day)).toBe(true));
  it.each(['2025-02-30', '2025-12-1', '2025-13-01', '20251201', '', 20251201, undefined])('refuses %p', (day) =>
    expect(isUtcDay(day)).toBe(false),
  );
});
