import { DataSource } from 'typeorm';
import { NETCORE_WEBHOOKS_ENTITIES } from '../../src';
import { FIXTURE_LEDGER_ENTITIES } from '../fixtures/reliability/ledger.entities';
import type { TestDatabase } from './test-databases';

/** A connection of the test's own to an app's database, to look at it while the app is down. */
export async function openDatabase(db: TestDatabase): Promise<DataSource> {
  const ds = new DataSource({
    ...(db.options as object),
    synchronize: false,
    migrationsRun: false,
    entities: [...NETCORE_WEBHOOKS_ENTITIES, ...FIXTURE_LEDGER_ENTITIES],
  } as unknown as ConstructorParameters<typeof DataSource>[0]);
  return ds.initialize();
}
