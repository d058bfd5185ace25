import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { NETCORE_WEBHOOKS_ENTITIES, NetcoreEventDispatcher } from '../../src';
import { HostAppModule, type HostAppOptions } from '../fixtures/host-app.module';
import { RecordingListener } from '../fixtures/recording.listener';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-databases';

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  recorder: RecordingListener;
  /** Waits until every event accepted so far went through the listeners. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Boots the fixture host app on a fresh database, created with rawBody as the README says. */
export async function startHostApp(
  kind: DatabaseKind,
  options: Omit<HostAppOptions, 'database'> = {},
  {
    rawBody = true,
    db: shared,
    entities = [],
    database = {},
  }: {
    rawBody?: boolean;
    /** Another app's database (two instances); then `close()` leaves it to its owner. */
    db?: TestDatabase;
    /** Host entities besides the module's. */
    entities?: Function[];
    /** Overrides of the TypeORM options (e.g. a proxy's URL). */
    database?: Record<string, unknown>;
  } = {},
): Promise<TestApp> {
  const db = shared ?? (await createTestDatabase(kind));
  const typeorm = { ...db.options, ...database, entities: [...NETCORE_WEBHOOKS_ENTITIES, ...entities] } as HostAppOptions['database'];
  const moduleRef = await Test.createTestingModule({
    imports: [HostAppModule.register({ ...options, database: typeorm })],
  }).compile();
  const app = moduleRef.createNestApplication({ rawBody, logger: ['error'] });
  await app.init();
  const dispatcher = app.get(NetcoreEventDispatcher);
  return {
    app,
    db,
    recorder: app.get(RecordingListener),
    settle: () => dispatcher.whenIdle(),
    close: async () => {
      await dispatcher.whenIdle();
      await app.close();
      if (!shared) await db.drop();
    },
  };
}
