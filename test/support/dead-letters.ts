import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NetcoreDeadLetter } from '../../src';

/** Stores an open "validation" dead letter for `item`, as an older, stricter version would have refused it. */
export async function insertValidationLetter(app: INestApplication, item: object, errors: string[]): Promise<NetcoreDeadLetter> {
  const letter = Object.assign(new NetcoreDeadLetter(), {
    id: randomUUID(),
    fingerprint: randomUUID().replace(/-/g, ''),
    reason: 'validation',
    errors: JSON.stringify(errors),
    payload: JSON.stringify(item),
    eventId: null,
    state: 'open',
    occurrences: 1,
    createdAt: new Date(),
    resolvedAt: null,
    resolution: null,
  } satisfies NetcoreDeadLetter);
  await app.get(DataSource).getRepository(NetcoreDeadLetter).insert({ ...letter });
  return letter;
}
