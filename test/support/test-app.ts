import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { NetcoreEventDispatcher } from '../../src';
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
    logger = ['error'],
    prepare,
  }: {
    rawBody?: boolean;
    logger?: LoggerService | LogLevel[] | false;
    /** Host app-wide setup done before init, as in main.ts (body parser limit, trust proxy). */
    prepare?: (app: NestExpressApplication) => void;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(kind);
  const moduleRef = await Test.createTestingModule({
    imports: [HostAppModule.register({ ...options, database: db.options })],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ rawBody, logger });
  prepare?.(app);
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
      await db.drop();
    },
  };
}
