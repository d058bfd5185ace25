import { NetcoreBillingSink, NetcoreDeadLetterService, type NetcoreDeadLetter, type NetcoreWebhooksOptions } from '../../src';
import { buildWebhookPayload, type NetcoreDeliveryStatusItem } from '../../src/testing';
import { RecordingBillingSink } from '../fixtures/recording-sinks';
import { CapturingLogger } from './capturing-logger';
import type { DatabaseKind } from './test-databases';
import { startHostApp, type TestApp } from './test-app';
import { waitFor } from './wait-for';
import { postSigned } from './webhook-client';

export interface RecordingSinkApp {
  t: TestApp;
  sink: RecordingBillingSink;
  /** Sink failures are logged on purpose: kept here, not printed. */
  logger: CapturingLogger;
}

/** The fixture host app with `RecordingBillingSink` as its billing sink, its log captured. */
export async function startWithRecordingSink(kind: DatabaseKind, webhooks: Partial<NetcoreWebhooksOptions>): Promise<RecordingSinkApp> {
  const logger = new CapturingLogger();
  const t = await startHostApp(kind, { extras: { billingSink: { useClass: RecordingBillingSink } }, webhooks }, { logger });
  return { t, sink: t.app.get(NetcoreBillingSink), logger };
}

/** Posts a message's events with the sink refusing its calls, and waits for its charge to become an open billing dead letter. */
export async function deadCharge({ t, sink }: RecordingSinkApp, items: NetcoreDeliveryStatusItem[]): Promise<NetcoreDeadLetter> {
  const id = items[0].ncmessage_id;
  sink.failFor.add(id);
  await postSigned(t.app, buildWebhookPayload(...items)).expect(200);
  await t.settle();
  const deadLetters = t.app.get(NetcoreDeadLetterService);
  return waitFor('the charge to become a dead letter', async () => {
    const open = await deadLetters.list({ reason: 'billing', state: 'open', pageSize: 500 });
    return open.items.find((l) => l.eventId === `${id}:charge`) ?? false;
  }, { timeoutMs: 15_000 });
}
