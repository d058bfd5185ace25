import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NetcoreDeadLetter, NetcoreMessageService, NetcoreWebhookEvent } from '../../src';
import { buildDeliveryStatus, type NetcoreDeliveryStatusItem } from '../../src/testing';
import { STATUS_RANK } from '../../src/netcore-webhooks/lifecycle/status-rank';
import { FixtureCharge, FixtureEffect } from '../fixtures/reliability/ledger.entities';

/**
 * Messages with realistic lifecycles: sent -> delivered -> read, sent -> failed, clicks; billable or not.
 * Returns the items and what the final state must be.
 */
export function buildTraffic(messages: number, tag = 'r'): { items: NetcoreDeliveryStatusItem[]; billable: Set<string> } {
  const items: NetcoreDeliveryStatusItem[] = [];
  const billable = new Set<string>();
  const base = 1764600000 + Math.floor(Math.random() * 100000);
  for (let m = 0; m < messages; m++) {
    const id = `${tag}-${process.pid}-${Date.now().toString(36)}-${m}`;
    const isBillable = m % 3 !== 0;
    const pricing = { billable: isBillable, category: 'marketing', pricing_model: 'PMP', type: 'regular' };
    const at = (n: number) => String(base + m * 10 + n);
    const sent = buildDeliveryStatus({ ncmessage_id: id, status: 'sent', received_at: at(0), pricing });
    if (m % 5 === 4) {
      items.push(sent, buildDeliveryStatus({ ncmessage_id: id, status: 'failed', received_at: at(1), status_remark: 'Operator rejected' }));
    } else {
      items.push(
        sent,
        buildDeliveryStatus({ ncmessage_id: id, status: 'delivered', received_at: at(1), pricing }),
        buildDeliveryStatus({ ncmessage_id: id, status: 'read', received_at: at(2), pricing }),
      );
      if (m % 4 === 0) items.push(buildDeliveryStatus({ ncmessage_id: id, status: 'clicked', received_at: at(3), pricing }));
    }
    if (isBillable) billable.add(id);
  }
  return { items, billable };
}

/** The highest-ranked status among a message's items (what netcore_messages must show). */
export function expectedStatuses(items: NetcoreDeliveryStatusItem[]): Map<string, string> {
  const rank = (s: string) => (STATUS_RANK as Record<string, number>)[s] ?? 0;
  const result = new Map<string, string>();
  for (const item of items) {
    const current = result.get(item.ncmessage_id);
    if (rank(item.status) > 0 && (!current || rank(item.status) > rank(current))) result.set(item.ncmessage_id, item.status);
  }
  return result;
}

/** Direct reads of the tables the assertions are about. */
export function tables(app: INestApplication) {
  const ds = app.get(DataSource);
  return {
    inbox: ds.getRepository(NetcoreWebhookEvent),
    deadLetters: ds.getRepository(NetcoreDeadLetter),
    effects: ds.getRepository(FixtureEffect),
    charges: ds.getRepository(FixtureCharge),
    messages: app.get(NetcoreMessageService),
  };
}

/** Splits items into batches of `size`. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
