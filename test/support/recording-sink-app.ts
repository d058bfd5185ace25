import { NetcoreBillingSink, type NetcoreWebhooksOptions } from '../../src';
import { RecordingBillingSink } from '../fixtures/recording-sinks';
import { CapturingLogger } from './capturing-logger';
import type { DatabaseKind } from './test-databases';
import { startHostApp, type TestApp } from './test-app';

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
