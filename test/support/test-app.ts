import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { NetcoreEventDispatcher } from '../../src';
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
  close(): Promise<void>;
}

export interface HttpOptions {
  /** Create the app with `rawBody: true`, as the README says. @default true */
  rawBody?: boolean;
  /** @default 'express' */
  adapter?: HttpAdapterKind;
  /** JSON body limit in bytes, set the way the README shows for each adapter; platform default when unset. */
  bodyLimit?: number;
}

/** Boots the fixture host app on a fresh database, on Express or Fastify. */
export async function startHostApp(
  kind: DatabaseKind,
  options: Omit<HostAppOptions, 'database'> = {},
  { rawBody = true, adapter = 'express', bodyLimit }: HttpOptions = {},
): Promise<TestApp> {
  const db = await createTestDatabase(kind);
  const moduleRef = await Test.createTestingModule({
    imports: [HostAppModule.register({ ...options, database: db.options })],
  }).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(bodyLimit ? { bodyLimit } : {}), { rawBody, logger: ['error'] });
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ rawBody, logger: ['error'] });
    if (bodyLimit) express.useBodyParser('json', { limit: bodyLimit });
    app = express;
    await app.init();
  }
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
