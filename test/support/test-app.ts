import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { NetcoreInboxService } from '../../src';
import type { MigrationInterface } from 'typeorm';
import { HostAppModule, type HostAppOptions } from '../fixtures/host-app.module';
import { RecordingListener } from '../fixtures/recording.listener';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './test-databases';

/** The HTTP platforms the module supports. */
export type HttpAdapterKind = 'express' | 'fastify';
export const ADAPTERS: HttpAdapterKind[] = ['express', 'fastify'];

export interface TestApp {
  app: INestApplication;
  db: TestDatabase;
  recorder: RecordingListener;
  /** Waits until every event accepted so far went through the listeners. */
  settle(): Promise<void>;
  /** Settles, then empties the recording: earlier tests' events still in processing do not land in the next one's. */
  resetRecording(): Promise<void>;
  close(): Promise<void>;
}

export interface HttpOptions {
  /** Create the app with `rawBody: true`, as the README says. @default true */
  rawBody?: boolean;
  logger?: LoggerService | LogLevel[] | false;
  /** @default 'express' */
  adapter?: HttpAdapterKind;
  /** JSON body limit in bytes, set the way the README shows for each adapter; platform default when unset. */
  bodyLimit?: number;
  /** Express only: host app-wide setup done before init, as in main.ts (body parser limit, trust proxy). */
  prepare?: (app: NestExpressApplication) => void;
  /** Another app's database (two instances); then `close()` leaves it to its owner. */
  db?: TestDatabase;
  /** Host entities besides the module's, with the migrations that create their tables. */
  entities?: Function[];
  migrations?: (new () => MigrationInterface)[];
  /** Overrides of the TypeORM options (e.g. a proxy's URL, a busy timeout). */
  database?: Record<string, unknown>;
  /** Serve HTTPS with this key and certificate (PEM): Express's `httpsOptions`, Fastify's `https` option. */
  https?: { key: string; cert: string };
}

/** Boots the fixture host app on a fresh database, on Express or Fastify. */
export async function startHostApp(
  kind: DatabaseKind,
  options: Omit<HostAppOptions, 'database'> = {},
  { rawBody = true, logger = ['error'], adapter = 'express', bodyLimit, prepare, db: shared, entities = [], migrations = [], database = {}, https }: HttpOptions = {},
): Promise<TestApp> {
  if (adapter === 'fastify' && prepare) throw new Error('startHostApp: prepare() is for Express; use bodyLimit on Fastify');
  const db = shared ?? (await createTestDatabase(kind));
  const base = db.options as { entities: Function[]; migrations: Function[] };
  const typeorm = {
    ...db.options,
    ...database,
    entities: [...base.entities, ...entities],
    migrations: [...base.migrations, ...migrations],
  } as HostAppOptions['database'];
  const moduleRef = await Test.createTestingModule({
    imports: [HostAppModule.register({ ...options, database: typeorm })],
  }).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    const fastify = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ ...(bodyLimit ? { bodyLimit } : {}), ...(https ? { https } : {}) }), {
      rawBody,
      logger,
    });
    await fastify.init();
    await fastify.getHttpAdapter().getInstance().ready();
    app = fastify;
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ rawBody, logger, ...(https ? { httpsOptions: https } : {}) });
    if (bodyLimit) express.useBodyParser('json', { limit: bodyLimit });
    prepare?.(express);
    await express.init();
    app = express;
  }
  const dispatcher = app.get(NetcoreInboxService);
  const recorder = app.get(RecordingListener);
  return {
    app,
    db,
    recorder,
    settle: () => dispatcher.whenIdle(),
    resetRecording: async () => {
      await dispatcher.whenIdle();
      recorder.received.length = 0;
    },
    close: async () => {
      // Bounded: after a test destroyed the DataSource under the app, a transaction the worker had begun never
      // settles (PostgreSQL's pool ends without answering it).
      await Promise.race([dispatcher.whenIdle(), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      await app.close();
      if (!shared) await db.drop();
    },
  };
}
