import { isDataError } from './is-data-error';

describe('isDataError', () => {
  it.each([
    ['PostgreSQL refusing NUL in text (22021), as TypeORM wraps it', { driverError: { code: '22021' } }],
    ['PostgreSQL value too long (22001)', { driverError: { code: '22001' } }],
    ['PostgreSQL index row too big (54000)', { code: '54000' }],
    ['SQLite string or blob too big', { driverError: { code: 'SQLITE_TOOBIG' } }],
  ])('is true for %s: retrying cannot succeed', (_label, error) => {
    expect(isDataError(error)).toBe(true);
  });

  it.each([
    ['a lost connection (08006)', { driverError: { code: '08006' } }],
    ['a refused connection', { code: 'ECONNREFUSED' }],
    ['a busy SQLite file', { driverError: { code: 'SQLITE_BUSY' } }],
    ['a plain error', new Error('boom')],
    ['nothing', null],
  ])('is false for %s: the database may come back', (_label, error) => {
    expect(isDataError(error)).toBe(false);
  });
});
