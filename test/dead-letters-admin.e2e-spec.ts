import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { NetcoreDeadLetter, NetcoreDeadLetterService } from '../src';
import { buildDeliveryStatus, buildWebhookPayload } from '../src/testing';
import type { NetcoreDeadLetterView } from '../src/netcore-webhooks/dead-letters/netcore-dead-letter.types';
import { FaultPlan } from './fixtures/reliability/fault-plan';
import { FIXTURE_LEDGER } from './fixtures/reliability/ledger.entities';
import { LEDGER_PROVIDERS } from './fixtures/reliability/ledger.listener';
import { CapturingLogger } from './support/capturing-logger';
import { insertValidationLetter } from './support/dead-letters';
import { tables } from './support/reliability';
import { startHostApp, type TestApp } from './support/test-app';
import { DATABASES } from './support/test-databases';
import { waitFor } from './support/wait-for';
import { WEBHOOK_PATH, postSigned } from './support/webhook-client';
import { storedEvent } from './support/inbox-rows';

jest.setTimeout(60_000);

const TOKEN = 'admin-token-for-tests-0123456789';
const BASE = `${WEBHOOK_PATH}/dead-letters`;

describe.each(DATABASES)('dead letters admin endpoints (%s)', (kind) => {
  describe('without admin configured', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startHostApp(kind);
    });
    afterAll(() => t?.close());

    it('does not map them: 404 even with a token, and the guard never runs', async () => {
      await request(t.app.getHttpServer()).get(BASE).set('authorization', `Bearer ${TOKEN}`).expect(404);
      await request(t.app.getHttpServer()).post(`${BASE}/replay`).send({ ids: ['x'] }).expect(404);
      await request(t.app.getHttpServer()).get(`${WEBHOOK_PATH}/analytics/summary?from=2025-12-01&to=2025-12-01`).expect(404);
    });
  });

  describe('with admin.token', () => {
    let t: TestApp;
    const admin = () => ({
      get: (path: string) => request(t.app.getHttpServer()).get(`${BASE}${path}`).set('authorization', `Bearer ${TOKEN}`),
      post: (path: string, body?: object) =>
        request(t.app.getHttpServer()).post(`${BASE}${path}`).set('authorization', `Bearer ${TOKEN}`).send(body ?? {}),
    });
    beforeAll(async () => {
      t = await startHostApp(
        kind,
        {
          providers: LEDGER_PROVIDERS,
          webhooks: { admin: { token: TOKEN }, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, recovery: { sweepIntervalMs: 50 } },
        },
        // Listener failures and dead letters are logged: kept, not printed.
        { ...FIXTURE_LEDGER, logger: new CapturingLogger() },
      );
    });
    afterAll(() => t?.close());

    /** A letter rejected by an older, stricter version: its payload is valid today. */
    async function letterValidToday(): Promise<NetcoreDeadLetter> {
      return insertValidationLetter(t.app, buildDeliveryStatus({ status: 'delivered' }), ['status must be one of sent, read (older version)']);
    }

    async function processingLetter(): Promise<{ letter: NetcoreDeadLetter; ncmessageId: string }> {
      const item = buildDeliveryStatus({ status: 'read' });
      t.app.get(FaultPlan).alwaysFailFor.add(item.ncmessage_id);
      await postSigned(t.app, buildWebhookPayload(item)).expect(200);
      const { deadLetters } = tables(t.app);
      const row = await waitFor('the event to die', async () => {
        const r = await storedEvent(t.app, { ncmessageId: item.ncmessage_id });
        return r?.state === 'dead' ? r : false;
      });
      return { letter: await deadLetters.findOneByOrFail({ eventId: row.id }), ncmessageId: item.ncmessage_id };
    }

    it('answers 401 without the token or with another one', async () => {
      await request(t.app.getHttpServer()).get(BASE).expect(401);
      await request(t.app.getHttpServer()).get(BASE).set('authorization', 'Bearer not-the-admin-token-at-all').expect(401);
    });

    it('lists letters newest first, filtered by reason and state, in pages', async () => {
      const bad = { ...buildDeliveryStatus(), received_at: 'not-a-time' };
      await postSigned(t.app, buildWebhookPayload(bad)).expect(200, { accepted: 0, duplicates: 0, rejected: 1 });
      await processingLetter();
      const all = await admin().get('?pageSize=500').expect(200);
      expect(all.body.total).toBeGreaterThanOrEqual(2);
      const created = all.body.items.map((l: NetcoreDeadLetter) => new Date(l.createdAt).getTime());
      expect(created).toEqual([...created].sort((x, y) => y - x));

      const validation = await admin().get('?reason=validation&state=open').expect(200);
      expect(validation.body.items.length).toBeGreaterThan(0);
      expect(validation.body.items.every((l: NetcoreDeadLetter) => l.reason === 'validation' && l.state === 'open')).toBe(true);
      expect(validation.body.items.some((l: NetcoreDeadLetterView) => (l.payload as { received_at?: string }).received_at === 'not-a-time')).toBe(true);
      expect(validation.body.items.every((l: NetcoreDeadLetterView) => Array.isArray(l.errors) && typeof l.payload === 'object')).toBe(true);

      const page1 = await admin().get('?pageSize=1&page=1').expect(200);
      const page2 = await admin().get('?pageSize=1&page=2').expect(200);
      expect(page1.body).toMatchObject({ page: 1, pageSize: 1, total: all.body.total });
      expect(page1.body.items).toHaveLength(1);
      expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    });

    it.each([['?reason=other'], ['?state=gone'], ['?page=0'], ['?pageSize=501'], ['?page=abc']])('answers 400 to the query %s', async (query) => {
      await admin().get(query).expect(400);
    });

    it.each([['not-a-uuid'], ['%00x'], [`${'a'.repeat(100)}`]])('answers 400, not 500, to the dead letter id %s on every route', async (id) => {
      await admin().get(`/${id}`).expect(400);
      await admin().post(`/${id}/replay`).expect(400);
      await admin().post(`/${id}/discard`, { reason: 'x' }).expect(400);
    });

    it('answers 400 to a replay list holding an id that is not a UUID, and to a discard reason holding NUL', async () => {
      await admin().post('/replay', { ids: [randomUUID(), 'x\u0000'] }).expect(400);
      const letter = await letterValidToday();
      await admin().post(`/${letter.id}/discard`, { reason: 'a\u0000b' }).expect(400);
      expect(await t.app.get(NetcoreDeadLetterService).show(letter.id)).toMatchObject({ state: 'open' });
    });

    it('shows one letter, and 404 for an unknown id', async () => {
      const letter = await letterValidToday();
      const res = await admin().get(`/${letter.id}`).expect(200);
      // errors and payload are JSON values, not JSON inside strings.
      expect(res.body).toMatchObject({ id: letter.id, reason: 'validation', state: 'open', payload: JSON.parse(letter.payload), errors: JSON.parse(letter.errors) });
      expect(res.body.errors).toEqual(['status must be one of sent, read (older version)']);
      await admin().get(`/${randomUUID()}`).expect(404);
    });

    it('replays a validation letter that is valid today: stored and processed like a webhook, the letter marked replayed', async () => {
      const letter = await letterValidToday();
      const res = await admin().post(`/${letter.id}/replay`).expect(200);
      expect(res.body).toEqual({ id: letter.id, outcome: 'replayed' });
      const item = JSON.parse(letter.payload);
      const { deadLetters, effects } = tables(t.app);
      await waitFor('the replayed event to be processed', async () => (await storedEvent(t.app, { ncmessageId: item.ncmessage_id }))?.state === 'processed');
      expect(await effects.countBy({ ncmessageId: item.ncmessage_id })).toBe(1);
      expect(await deadLetters.findOneByOrFail({ id: letter.id })).toMatchObject({ state: 'replayed', resolution: 'replayed: stored in the inbox' });
      expect((await admin().post(`/${letter.id}/replay`).expect(200)).body).toEqual({ id: letter.id, outcome: 'not-open' });
    });

    it('keeps a still-invalid letter open on replay and says why', async () => {
      const bad = { ...buildDeliveryStatus(), ncmessage_id: undefined, tag: randomUUID() };
      await postSigned(t.app, buildWebhookPayload(bad as never)).expect(200, { accepted: 0, duplicates: 0, rejected: 1 });
      const letter = await tables(t.app).deadLetters.findOneByOrFail({ payload: JSON.stringify(bad) });
      const res = await admin().post(`/${letter.id}/replay`).expect(200);
      expect(res.body.outcome).toBe('invalid');
      expect(res.body.errors.join('\n')).toMatch(/ncmessage_id/);
      expect(await tables(t.app).deadLetters.findOneByOrFail({ id: letter.id })).toMatchObject({ state: 'open', occurrences: 1 });
    });

    it('replays several letters at once, each with its own outcome', async () => {
      const { letter: processing, ncmessageId } = await processingLetter();
      const valid = await letterValidToday();
      t.app.get(FaultPlan).alwaysFailFor.delete(ncmessageId); // the fix
      const unknown = randomUUID();
      const res = await admin().post('/replay', { ids: [processing.id, valid.id, unknown] }).expect(200);
      expect(res.body.results).toEqual([
        { id: processing.id, outcome: 'replayed' },
        { id: valid.id, outcome: 'replayed' },
        { id: unknown, outcome: 'not-found' },
      ]);
      expect(await storedEvent(t.app, { ncmessageId })).toMatchObject({ state: 'processed' });
      await admin().post('/replay', { ids: [] }).expect(400);
      await admin().post('/replay', { ids: 'all' }).expect(400);
    });

    it('discards a letter with a reason, once', async () => {
      const letter = await letterValidToday();
      const res = await admin().post(`/${letter.id}/discard`, { reason: 'test traffic from staging' }).expect(200);
      expect(res.body).toMatchObject({ id: letter.id, state: 'discarded', resolution: 'discarded: test traffic from staging', payload: JSON.parse(letter.payload) });
      expect(res.body.resolvedAt).not.toBeNull();
      await admin().post(`/${letter.id}/discard`, { reason: 'again' }).expect(409);
      await admin().post(`/${letter.id}/replay`).expect(200, { id: letter.id, outcome: 'not-open' });
      await admin().post(`/${randomUUID()}/discard`, { reason: 'x' }).expect(404);
      const other = await letterValidToday();
      await admin().post(`/${other.id}/discard`, {}).expect(400);
      expect(await t.app.get(NetcoreDeadLetterService).show(other.id)).toMatchObject({ state: 'open' });
    });
  });
});
